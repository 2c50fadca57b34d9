// Loads a blank English pipeline, adds the rule-based sentencizer and prints the tokens and the
// sentences of a text (the first argument, or a built-in sample).
#include <iostream>

#include <trfpipe/trfpipe.hpp>

int main(int argc, char** argv) {
  const std::string text =
      argc > 1 ? argv[1] : "trfpipe runs spaCy pipelines in C++. It doesn't need Python!";
  try {
    auto nlp = trfpipe::Language::load("blank:en");
    nlp->add_pipe("sentencizer");
    trfpipe::Doc doc = (*nlp)(text);
    std::cout << "tokens:";
    for (size_t i = 0; i < doc.size(); ++i) std::cout << " [" << doc[i].text() << "]";
    std::cout << "\n";
    for (const trfpipe::Span& sent : doc.sents()) std::cout << "sentence: " << sent.text() << "\n";
  } catch (const trfpipe::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
