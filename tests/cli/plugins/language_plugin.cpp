// A test plugin that registers a language "zz" (tests/language_plugin.cmake): its own tokenizer
// exception and an infix that splits on "~", over the shared rules.
#include <trfpipe/languages.hpp>

extern "C" void trfpipe_register_plugin() {
  trfpipe::LanguageDefaults zz;
  zz.code = "zz";
  zz.tokenizer_exceptions = {{"z.B.", {{"z.", "zum"}, {"B.", "Beispiel"}}}};
  zz.infixes = std::vector<std::string>{"~"};
  trfpipe::register_language(std::move(zz));
}
