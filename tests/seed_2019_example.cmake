# Runs examples/seed_2019/run.sh (init model, assemble, apply --include-trf for a BERT and an
# XLNet folder) with the built CLI, then builds examples/seed_2019/seed.cpp against the installed
# package and runs it on the two pipelines.
add_test(NAME seed_2019_example
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/seed_2019_example.sh ${CMAKE_BINARY_DIR}
                 ${CMAKE_SOURCE_DIR} ${CMAKE_COMMAND} ${CMAKE_GENERATOR} "${Torch_DIR}"
                 "${TRFPIPE_SHARED_DIR}")
set_tests_properties(seed_2019_example PROPERTIES TIMEOUT 900)
