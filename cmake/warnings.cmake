# Warning flags live in one INTERFACE target; every project library links it.
add_library(trustmon_warnings INTERFACE)
target_compile_options(trustmon_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wold-style-cast -Wnon-virtual-dtor
  -Wformat=2 -Wimplicit-fallthrough -Wcast-qual -Wnull-dereference)
if(TRUSTMON_WERROR)
  target_compile_options(trustmon_warnings INTERFACE -Werror)
endif()
