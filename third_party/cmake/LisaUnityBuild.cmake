# Unity ("jumbo") builds: each target's sources are compiled in batches, one translation unit per
# batch. Loading the precompiled libtorch/ATen header and instantiating what it declares costs
# about 4.3 s per translation unit whatever the file holds (an empty file takes that long), which
# was over half of a fresh build's compile time; batching pays it once per batch instead.
#
#   -DLISA_UNITY_BUILD=OFF        one translation unit per file (what an edit-compile loop on one
#                                 file wants; with LISA_PRECOMPILED_HEADERS=OFF it also checks that
#                                 every file includes what it uses, which a batch cannot see)
#   -DLISA_UNITY_BATCH_SIZE=N     files per batch
#
# Sources that share a batch share a translation unit: names at namespace scope of a .cpp file,
# anonymous namespaces included, must differ between files of one target.
option(LISA_UNITY_BUILD "Compile each target's sources in batches of several files" ON)
set(LISA_UNITY_BATCH_SIZE 8 CACHE STRING "Source files per unity batch")

function(lisa_unity_build target)
  if(LISA_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE ${LISA_UNITY_BATCH_SIZE})
  endif()
endfunction()
