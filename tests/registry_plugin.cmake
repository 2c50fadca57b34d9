# Plugin fixtures for test_registry: tiny shared objects loaded with registry::load_plugin().
# They do not link trfpipe: their registry symbols bind to the ones test_registry exports
# (ENABLE_EXPORTS), so the plugin registers into the test program's own registries.
if(TARGET test_registry)
  add_library(trfpipe_test_plugin MODULE ${CMAKE_CURRENT_SOURCE_DIR}/registry/plugin/test_plugin.cpp)
  add_library(trfpipe_test_plugin_no_entry MODULE
    ${CMAKE_CURRENT_SOURCE_DIR}/registry/plugin/no_entry_plugin.cpp)
  add_library(trfpipe_test_plugin_throwing MODULE
    ${CMAKE_CURRENT_SOURCE_DIR}/registry/plugin/throwing_plugin.cpp)
  foreach(plugin trfpipe_test_plugin trfpipe_test_plugin_no_entry trfpipe_test_plugin_throwing)
    target_include_directories(${plugin} PRIVATE ${CMAKE_SOURCE_DIR}/include)
    # Header-only: only its include directories are used.
    target_link_libraries(${plugin} PRIVATE nlohmann_json::nlohmann_json)
    set_target_properties(${plugin} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/test_plugins)
  endforeach()
  set_target_properties(test_registry PROPERTIES ENABLE_EXPORTS ON)
  add_dependencies(test_registry trfpipe_test_plugin trfpipe_test_plugin_no_entry
    trfpipe_test_plugin_throwing)
  target_compile_definitions(test_registry PRIVATE
    TRFPIPE_TEST_PLUGIN="$<TARGET_FILE:trfpipe_test_plugin>"
    TRFPIPE_TEST_PLUGIN_NO_ENTRY="$<TARGET_FILE:trfpipe_test_plugin_no_entry>"
    TRFPIPE_TEST_PLUGIN_THROWING="$<TARGET_FILE:trfpipe_test_plugin_throwing>")
endif()
