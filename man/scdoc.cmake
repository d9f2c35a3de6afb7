# Render one scdoc source: cmake -DSCDOC=/usr/bin/scdoc -DIN=full.scd -DOUT=page.1 -P scdoc.cmake
#
# scdoc reads stdin and writes stdout; execute_process connects the files, so no
# shell is involved. A failed render leaves no half-written page behind.
foreach(var IN ITEMS SCDOC IN OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "scdoc.cmake: -D${var}=... is required")
  endif()
endforeach()

execute_process(COMMAND "${SCDOC}"
                INPUT_FILE "${IN}"
                OUTPUT_FILE "${OUT}.tmp"
                ERROR_VARIABLE err
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE "${OUT}.tmp")
  message(FATAL_ERROR "scdoc failed on ${IN} (${rc}): ${err}")
endif()
file(RENAME "${OUT}.tmp" "${OUT}")
