# Shell completion scripts, generated from the tools themselves ("TOOL --completion
# SHELL" prints what the tool's own option definitions say), so they cannot drift.

set(CLM_COMPLETION_SCRIPT ${CMAKE_CURRENT_LIST_DIR}/write_completion.cmake)

# clm_add_completion(target component): after each link of target, write
# build/completions/bash/<target> and build/completions/zsh/_<target>, and install them
# where Debian's bash-completion and zsh look for them, in the package component
# (tools, server) of target.
function(clm_add_completion target component)
  set(dir ${PROJECT_BINARY_DIR}/completions)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:${target}> -DSHELL=bash -DOUT=${dir}/bash/${target}
            -P ${CLM_COMPLETION_SCRIPT}
    COMMAND ${CMAKE_COMMAND} -DTOOL=$<TARGET_FILE:${target}> -DSHELL=zsh -DOUT=${dir}/zsh/_${target}
            -P ${CLM_COMPLETION_SCRIPT}
    COMMENT "Generating the bash and zsh completion of ${target}"
    VERBATIM)
  install(FILES ${dir}/bash/${target} DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
          COMPONENT ${component})
  install(FILES ${dir}/zsh/_${target} DESTINATION ${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions
          COMPONENT ${component})
endfunction()
