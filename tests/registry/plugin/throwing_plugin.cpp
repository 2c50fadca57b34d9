// A plugin whose entry point throws, for the error reported by load_plugin.
#include <stdexcept>

extern "C" void trfpipe_register_plugin() { throw std::runtime_error("registration refused"); }
