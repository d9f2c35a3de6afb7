# Write one completion script: cmake -DTOOL=path/to/tool -DSHELL=bash|zsh -DOUT=file
# -P write_completion.cmake
#
# Runs "TOOL --completion SHELL" with no shell in between; a failed run leaves no
# half-written script behind.
foreach(var IN ITEMS TOOL SHELL OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "write_completion.cmake: -D${var}=... is required")
  endif()
endforeach()

get_filename_component(dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${dir}")
execute_process(COMMAND "${TOOL}" --completion "${SHELL}"
                OUTPUT_FILE "${OUT}.tmp"
                ERROR_VARIABLE err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "${TOOL} --completion ${SHELL} failed (${rc}): ${err}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
