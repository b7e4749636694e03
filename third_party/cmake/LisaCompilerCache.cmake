# ccache settings for this project, put into the compiler launcher so that every build of a
# configured folder has them (not only the builds that scripts/setup.sh starts):
# - CCACHE_BASEDIR: paths below the source tree are hashed relative, so every clone of the
#   project (git worktrees included) shares one cache;
# - CCACHE_SLOPPINESS: needed for precompiled headers (LisaPrecompiledHeaders), else each file
#   that uses the PCH is a cache miss.
if(CMAKE_CXX_COMPILER_LAUNCHER MATCHES "(^|/)ccache$")
  set(CMAKE_CXX_COMPILER_LAUNCHER
      env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR}
          CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
          ${CMAKE_CXX_COMPILER_LAUNCHER})
endif()
