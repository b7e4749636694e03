# One sanitizer build of everything (library, CLI, tests), as scripts/sanitize.sh configures it:
#
#   -DLISA_SANITIZE=address | undefined | thread | address,undefined
#
# Only the project's code is instrumented; libtorch, OpenCV and the other dependencies are the
# prebuilt libraries (see docs/reliability.md for what that means for each sanitizer).
set(LISA_SANITIZE "" CACHE STRING "Sanitizers to build with (address, undefined, thread; comma-separated)")

if(LISA_SANITIZE)
  if(NOT LISA_SANITIZE MATCHES "^(address|undefined|thread|address,undefined|undefined,address)$")
    message(FATAL_ERROR "LISA_SANITIZE: '${LISA_SANITIZE}' is not address, undefined, thread or address,undefined")
  endif()
  # Line numbers in the reports, frames that unwind, and an optimisation level that keeps the suite fast.
  set(lisa_sanitize_flags -fsanitize=${LISA_SANITIZE} -fno-omit-frame-pointer -g1)
  if(LISA_SANITIZE MATCHES "undefined")
    # A finding stops the test that made it instead of scrolling by as a message.
    list(APPEND lisa_sanitize_flags -fno-sanitize-recover=undefined)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC's -Wmaybe-uninitialized misfires in instrumented code (its manual warns that sanitizers
    # change what the flow analysis sees): GCC 12 at -O1 with address,undefined reports
    # std::function members inside libstdc++'s <regex> as uninitialised, which -Werror makes fatal.
    list(APPEND lisa_sanitize_flags -Wno-maybe-uninitialized)
  endif()
  add_compile_options(${lisa_sanitize_flags})
  add_link_options(-fsanitize=${LISA_SANITIZE})
  message(STATUS "lisa: sanitizers ${LISA_SANITIZE}")
endif()
