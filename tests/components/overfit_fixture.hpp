// Shared fixtures of the overfit tests (trainable_test, transformer_listener_overfit_test): the
// hand-made training sentences (words, tags, entities, a POS/NEG category), prediction on them
// and the 100 % checks, parameter snapshots.
#pragma once
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include <ATen/ATen.h>

#include "trfpipe/language.hpp"
#include "trfpipe/torch/optimizer.hpp"

namespace trfpipe::testing {

using Ent = std::tuple<size_t, size_t, std::string>;

struct Sent {
  std::vector<std::string> words, tags;
  std::vector<Ent> ents;
  std::string cat;  // the positive category (POS or NEG)
};

inline const std::vector<Sent>& hand_made_sentences() {
  static const std::vector<Sent> d = {
      {{"Alice", "likes", "green", "apples"}, {"N", "V", "J", "N"}, {{0, 1, "PER"}}, "POS"},
      {{"Bob", "Smith", "hates", "red", "trains"}, {"N", "N", "V", "J", "N"}, {{0, 2, "PER"}}, "NEG"},
      {{"Paris", "is", "big"}, {"N", "V", "J"}, {{0, 1, "LOC"}}, "POS"},
      {{"we", "visited", "New", "York", "City", "today"},
       {"P", "V", "J", "N", "N", "R"},
       {{2, 5, "LOC"}},
       "POS"},
      {{"they", "dislike", "cold", "London"}, {"P", "V", "J", "N"}, {{3, 4, "LOC"}}, "NEG"},
      {{"Carol", "met", "Dave", "in", "Rome"},
       {"N", "V", "N", "I", "N"},
       {{0, 1, "PER"}, {2, 3, "PER"}, {4, 5, "LOC"}},
       "NEG"},
  };
  return d;
}

// A reference Doc with the sentence's tags and entities (cats left to the caller).
inline std::shared_ptr<Doc> reference_doc(Language& nlp, const Sent& s) {
  auto ref = std::make_shared<Doc>(nlp.vocab_ptr(), s.words);
  for (size_t i = 0; i < s.words.size(); ++i) (*ref)[i].set_tag(s.tags[i]);
  std::vector<Span> spans;
  for (const auto& [b, e, l] : s.ents) spans.push_back(ref->span(b, e, l));
  ref->set_ents(spans);
  return ref;
}

// The sentences' words run through the pipeline.
inline std::vector<std::unique_ptr<Doc>> predict_sentences(Language& nlp, const std::vector<Sent>& data) {
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Doc*> ptrs;
  for (const Sent& s : data) {
    docs.push_back(std::make_unique<Doc>(nlp.vocab_ptr(), s.words));
    ptrs.push_back(docs.back().get());
  }
  nlp.pipe_docs(ptrs);
  return docs;
}

inline bool tags_match(const std::vector<std::unique_ptr<Doc>>& docs, const std::vector<Sent>& data) {
  for (size_t d = 0; d < docs.size(); ++d)
    for (size_t i = 0; i < docs[d]->size(); ++i)
      if (docs[d]->token(i).tag_() != data[d].tags[i]) return false;
  return true;
}

inline bool ents_match(const std::vector<std::unique_ptr<Doc>>& docs, const std::vector<Sent>& data) {
  for (size_t d = 0; d < docs.size(); ++d) {
    auto ents = docs[d]->ents();
    const auto& gold = data[d].ents;
    if (ents.size() != gold.size()) return false;
    for (size_t k = 0; k < ents.size(); ++k)
      if (Ent(ents[k].start(), ents[k].end(), ents[k].label_()) != gold[k]) return false;
  }
  return true;
}

// POS/NEG scores on the right side of `threshold` for every doc (exactly these two labels).
inline bool pos_neg_match(const std::vector<std::unique_ptr<Doc>>& docs, const std::vector<Sent>& data,
                          double threshold) {
  for (size_t d = 0; d < docs.size(); ++d) {
    const auto& cats = docs[d]->cats();
    if (cats.size() != 2 || !cats.count("POS") || !cats.count("NEG")) return false;
    const bool pos = data[d].cat == "POS";
    if ((cats.at("POS") > threshold) != pos || (cats.at("NEG") > threshold) == pos) return false;
  }
  return true;
}

inline std::vector<at::Tensor> snapshot(const NamedTensors& ps) {
  std::vector<at::Tensor> out;
  for (const auto& [n, p] : ps) out.push_back(p.detach().clone());
  return out;
}

inline bool same(const NamedTensors& ps, const std::vector<at::Tensor>& snap) {
  for (size_t i = 0; i < ps.size(); ++i)
    if (!at::equal(ps[i].second.detach(), snap[i])) return false;
  return true;
}

}  // namespace trfpipe::testing
