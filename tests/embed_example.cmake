# Installs trfpipe from this build tree into a temporary prefix, builds examples/embed against
# the installed package (find_package(trfpipe)) and runs it.
add_test(NAME embed_example
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/embed_example.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR}/examples/embed ${CMAKE_COMMAND} ${CMAKE_GENERATOR}
                 "${Torch_DIR}")
set_tests_properties(embed_example PROPERTIES TIMEOUT 900)
