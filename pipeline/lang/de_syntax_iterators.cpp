// German syntax iterators: spaCy's spacy/lang/de/syntax_iterators.py.
#include <algorithm>

#include "pipeline/syntax_iterators.hpp"

namespace trfpipe::lang::de {

SyntaxSpans noun_chunks(Doc& doc, size_t start, size_t end) {
  const std::vector<hash_t> np_deps = noun_chunk_deps(
      doc, {"sb", "oa", "da", "nk", "mo", "ag", "ROOT", "root", "cj", "pd", "og", "app"});
  StringStore& ss = doc.vocab().strings();
  const hash_t np_label = ss.add("NP"), close_app = ss.add("nk");
  const hash_t noun = ss.add("NOUN"), propn = ss.add("PROPN"), pron = ss.add("PRON");
  SyntaxSpans out;
  // spaCy compares the position in the doclike (a Span's own index) with rbracket, a doc index:
  // kept as it is, so Span.noun_chunks gives spaCy's chunks.
  size_t rbracket = 0;
  int64_t prev_end = -1;
  for (size_t i = start; i < end && i < doc.size(); ++i) {
    if (i - start < rbracket) continue;
    const Token word = doc.token(i);
    const TokenData& w = word.data();
    // Prevent nested chunks from being produced.
    if (int64_t(w.l_edge) <= prev_end) continue;
    if ((w.pos != noun && w.pos != propn && w.pos != pron) ||
        std::find(np_deps.begin(), np_deps.end(), w.dep) == np_deps.end())
      continue;
    rbracket = i + 1;
    // Close apposition and measures extend the chunk to the right: "eine Tasse Tee".
    for (const Token& right : word.rights())
      if ((right.data().pos == noun || right.data().pos == propn) && right.data().dep == close_app)
        rbracket = right.i() + 1;
    prev_end = int64_t(rbracket) - 1;
    out.emplace_back(size_t(w.l_edge), rbracket, np_label);
  }
  return out;
}

}  // namespace trfpipe::lang::de
