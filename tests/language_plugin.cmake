# tests/cli/plugins/language_plugin.cpp: a plugin registering the language "zz" for
# tests/cli/languages_cli_test.cpp (trfpipe ... --code). It links the core library, which holds
# the language table.
if(TARGET test_cli)
  add_library(trfpipe_language_plugin MODULE ${CMAKE_CURRENT_SOURCE_DIR}/cli/plugins/language_plugin.cpp)
  target_link_libraries(trfpipe_language_plugin PRIVATE trfpipe_core)
  set_target_properties(trfpipe_language_plugin PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test_plugins)
  add_dependencies(test_cli trfpipe_language_plugin)
  target_compile_definitions(test_cli PRIVATE
    TRFPIPE_LANGUAGE_PLUGIN="$<TARGET_FILE:trfpipe_language_plugin>")
endif()
