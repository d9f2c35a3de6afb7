# Settings every first-party target links PRIVATE: language level and warnings.
set(CMAKE_CXX_STANDARD 20)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
# Release optimizes as Debian packages do (-O2, not CMake's -O3) and carries no debug
# information: the scripts build it (a third less compile time than RelWithDebInfo).
string(REPLACE "-O3" "-O2" CMAKE_CXX_FLAGS_RELEASE "${CMAKE_CXX_FLAGS_RELEASE}")

add_library(clm_settings INTERFACE)
target_compile_options(clm_settings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wformat=2
  -Wimplicit-fallthrough)
if(CLM_WERROR)
  target_compile_options(clm_settings INTERFACE -Werror)
endif()
if(CLM_SANITIZE)
  target_compile_options(clm_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(clm_settings INTERFACE -fsanitize=address,undefined)
endif()
if(CLM_FUZZ)
  # Every first-party target gets coverage feedback and the sanitizers; each harness in
  # tests/fuzz links libFuzzer itself (-fsanitize=fuzzer).
  target_compile_options(clm_settings INTERFACE -fsanitize=fuzzer-no-link,address,undefined
                                                -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(clm_settings INTERFACE -fsanitize=address,undefined)
endif()

include(Completion)

# clm_add_tool(name SOURCES...): executable + libraries + install + bash and zsh
# completion; the man page comes from man/.
function(clm_add_tool name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE clm_tool clm_settings)
  install(TARGETS ${name} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  clm_add_completion(${name} tools)
endfunction()
