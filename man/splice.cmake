# Splice shared sections into a man page source: cmake -DIN=page.scd -DOUT=full.scd
# -DVERSION=x.y.z -P splice.cmake
#
# A line "%%include common/NAME.scd%%" is replaced by that file (relative to the
# directory of IN); "%%VERSION%%" by VERSION. An unknown or unreadable include is
# an error, so a typo cannot silently drop a section.
foreach(var IN ITEMS IN OUT VERSION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "splice.cmake: -D${var}=... is required")
  endif()
endforeach()

get_filename_component(base "${IN}" DIRECTORY)
file(READ "${IN}" text)
string(REGEX MATCHALL "%%include [^%\n]+%%" markers "${text}")
foreach(marker IN LISTS markers)
  string(REGEX REPLACE "^%%include ([^%\n]+)%%$" "\\1" name "${marker}")
  set(path "${base}/${name}")
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "${IN}: ${marker}: ${path} does not exist")
  endif()
  file(READ "${path}" part)
  # The marker stands on its own line; drop the part's final newline so the line count stays tidy.
  string(REGEX REPLACE "\n$" "" part "${part}")
  string(REPLACE "${marker}" "${part}" text "${text}")
endforeach()
string(REPLACE "%%VERSION%%" "${VERSION}" text "${text}")
if(text MATCHES "%%[A-Za-z_ ]+")
  message(FATAL_ERROR "${IN}: unknown marker near '${CMAKE_MATCH_0}'")
endif()
file(WRITE "${OUT}.tmp" "${text}")
file(RENAME "${OUT}.tmp" "${OUT}")
