# Compiler warnings for the project's own targets. Dependencies (libtorch, OpenCV, GoogleTest, ...)
# are included as SYSTEM headers, so their warnings are not reported.
#
#   -DLISA_WARNINGS_AS_ERRORS=ON   every warning fails the build (CI, sanitizer and fuzz builds)
option(LISA_WARNINGS_AS_ERRORS "Treat compiler warnings in the project's own code as errors" OFF)

function(lisa_enable_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow)
  if(LISA_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
