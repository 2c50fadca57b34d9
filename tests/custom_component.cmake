# examples/custom_component (a trfpipe plugin) in the tests:
# 1. CustomComponent.InstalledPlugin (ctest): installs trfpipe from this build tree into a
#    temporary prefix, builds the example as its own CMake project against it
#    (find_package(trfpipe)) and runs the installed `trfpipe assemble/apply --code` with it
#    (tests/custom_component_test.sh).
# 2. The same plugin source built in-tree (linked to the build tree's libtrfpipe.so) for the fast
#    CLI tests of --code in test_cli (tests/cli/code_option_test.cpp, keyword_matcher_test.cpp).
set(TRFPIPE_EXAMPLE_PLUGIN_DIR ${CMAKE_SOURCE_DIR}/examples/custom_component)

add_test(NAME CustomComponent.InstalledPlugin
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/custom_component_test.sh
    ${CMAKE_BINARY_DIR} ${TRFPIPE_EXAMPLE_PLUGIN_DIR} ${CMAKE_BINARY_DIR}/custom_component_test)
set_tests_properties(CustomComponent.InstalledPlugin PROPERTIES TIMEOUT 1800
  ENVIRONMENT "CMAKE=${CMAKE_COMMAND};CMAKE_GENERATOR=${CMAKE_GENERATOR};CXX=${CMAKE_CXX_COMPILER};CXX_LAUNCHER=${CMAKE_CXX_COMPILER_LAUNCHER};Torch_DIR=${Torch_DIR}")

if(TARGET test_cli)
  add_library(trfpipe_example_plugin MODULE ${TRFPIPE_EXAMPLE_PLUGIN_DIR}/keyword_matcher.cpp)
  target_link_libraries(trfpipe_example_plugin PRIVATE trfpipe)
  set_target_properties(trfpipe_example_plugin PROPERTIES
    OUTPUT_NAME my_components LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test_plugins)
  add_dependencies(test_cli trfpipe_example_plugin)
  target_compile_definitions(test_cli PRIVATE
    TRFPIPE_EXAMPLE_PLUGIN="$<TARGET_FILE:trfpipe_example_plugin>"
    TRFPIPE_EXAMPLE_PLUGIN_DIR="${TRFPIPE_EXAMPLE_PLUGIN_DIR}")
endif()
