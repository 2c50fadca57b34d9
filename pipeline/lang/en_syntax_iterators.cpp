// English syntax iterators: spaCy's spacy/lang/en/syntax_iterators.py.
#include <algorithm>
#include <array>

#include "pipeline/syntax_iterators.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::lang::en {

SyntaxSpans noun_chunks(Doc& doc, size_t start, size_t end) {
  static const std::array<const char*, 10> labels = {
      "oprd", "nsubj", "dobj", "nsubjpass", "pcomp", "pobj", "dative", "appos", "attr", "ROOT"};
  if (!doc.has_annotation("DEP"))
    throw ValueError("[E029] noun_chunks requires the dependency parse, which requires a "
                     "statistical model to be installed and loaded. For more info, see the "
                     "documentation: https://spacy.io/usage/models");
  StringStore& ss = doc.vocab().strings();
  std::vector<hash_t> np_deps;
  for (const char* l : labels) np_deps.push_back(ss.add(l));
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
