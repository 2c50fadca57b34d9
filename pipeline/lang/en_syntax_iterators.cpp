// English syntax iterators: spaCy's spacy/lang/en/syntax_iterators.py.
#include <algorithm>

#include "pipeline/syntax_iterators.hpp"

namespace trfpipe::lang::en {

SyntaxSpans noun_chunks(Doc& doc, size_t start, size_t end) {
  const std::vector<hash_t> np_deps = noun_chunk_deps(
      doc, {"oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr", "ROOT"});
  StringStore& ss = doc.vocab().strings();
  const hash_t conj = ss.add("conj"), np_label = ss.add("NP");
  const hash_t noun = ss.add("NOUN"), propn = ss.add("PROPN"), pron = ss.add("PRON");
  auto is_np_dep = [&](hash_t d) { return std::find(np_deps.begin(), np_deps.end(), d) != np_deps.end(); };
  SyntaxSpans out;
  int64_t prev_end = -1;
  for (size_t i = start; i < end && i < doc.size(); ++i) {
    const Token word = doc.token(i);
    const TokenData& w = word.data();
    if (w.pos != noun && w.pos != propn && w.pos != pron) continue;
    // Prevent nested chunks from being produced.
    if (int64_t(w.l_edge) <= prev_end) continue;
    if (is_np_dep(w.dep)) {
      prev_end = int64_t(i);
      out.emplace_back(size_t(w.l_edge), i + 1, np_label);
    } else if (w.dep == conj) {
      Token head = word.head();
      while (head.data().dep == conj && head.head().i() < head.i()) head = head.head();
      // If the head is an NP, and we're coordinated to it, we're an NP.
      if (is_np_dep(head.data().dep)) {
        prev_end = int64_t(i);
        out.emplace_back(size_t(w.l_edge), i + 1, np_label);
      }
    }
  }
  return out;
}

}  // namespace trfpipe::lang::en
