# Warning flags live in one INTERFACE target; every project library links it.
add_library(trustmon_warnings INTERFACE)
target_compile_options(trustmon_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wnon-virtual-dtor
  -Wformat=2 -Wimplicit-fallthrough -Wcast-qual -Wnull-dereference)
if(TRUSTMON_WERROR)
  target_compile_options(trustmon_warnings INTERFACE -Werror)
endif()

# g++ 12 at -O3 (the Release build) reports std::string concatenations as overlapping or
# over-long copies (-Wrestrict, -Wstringop-overread; GCC bugs 105329 and 105651). They are
# false positives in libstdc++'s inlined code, not in ours; -O2 builds keep both warnings.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(trustmon_warnings INTERFACE
    $<$<CONFIG:Release>:-Wno-restrict -Wno-stringop-overread>)
endif()
