// A shared object without trfpipe_register_plugin, for the missing-entry-point error.
extern "C" int trfpipe_test_not_an_entry_point() { return 1; }
