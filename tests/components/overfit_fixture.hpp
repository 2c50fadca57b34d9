// Shared fixtures of the overfit tests (trainable_test, transformer_listener_overfit_test): the
// hand-made training sentences (words, tags, entities, a POS/NEG category), prediction on them
// and the 100 % checks, parameter snapshots.
#pragma once
#include <algorithm>
#include <memory>
#include <optional>
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

// Hand-made dependency parses for the parser and senter overfit tests (spaCy's test_parse.py
// TRAIN_DATA plus our own): heads absolute, several sentences per doc, one non-projective arc
// ("saw" -> "yesterday" crosses "dog" -> "that barked").
struct ParsedSent {
  std::vector<std::string> words;
  std::vector<size_t> heads;
  std::vector<std::string> deps;
};

inline const std::vector<ParsedSent>& parsed_sentences() {
  static const std::vector<ParsedSent> d = {
      {{"They", "trade", "mortgage", "-", "backed", "securities", "."},
       {1, 1, 4, 4, 5, 1, 1},
       {"nsubj", "ROOT", "compound", "punct", "nmod", "dobj", "punct"}},
      {{"I", "like", "London", "and", "Berlin", "."},
       {1, 1, 1, 2, 2, 1},
       {"nsubj", "ROOT", "dobj", "cc", "conj", "punct"}},
      {{"Bob", "sleeps", ".", "Ann", "reads", "books", "."},
       {1, 1, 1, 4, 4, 4, 4},
       {"nsubj", "ROOT", "punct", "nsubj", "ROOT", "dobj", "punct"}},
      {{"We", "saw", "a", "dog", "yesterday", "that", "barked", "."},
       {1, 1, 3, 1, 1, 6, 3, 1},
       {"nsubj", "ROOT", "det", "dobj", "npadvmod", "nsubj", "relcl", "punct"}},
  };
  return d;
}

// A reference Doc with the sentence's parse (sentence starts follow from it).
inline std::shared_ptr<Doc> parsed_reference_doc(Language& nlp, const ParsedSent& s) {
  auto ref = std::make_shared<Doc>(nlp.vocab_ptr(), s.words);
  std::vector<std::optional<size_t>> heads(s.heads.begin(), s.heads.end());
  ref->set_parse(heads, s.deps);
  return ref;
}

inline std::vector<std::unique_ptr<Doc>> predict_parsed(Language& nlp,
                                                        const std::vector<ParsedSent>& data) {
  std::vector<std::unique_ptr<Doc>> docs;
  std::vector<Doc*> ptrs;
  for (const ParsedSent& s : data) {
    docs.push_back(std::make_unique<Doc>(nlp.vocab_ptr(), s.words));
    ptrs.push_back(docs.back().get());
  }
  nlp.pipe_docs(ptrs);
  return docs;
}

// Every head and dep label as in the gold parse.
inline bool parses_match(const std::vector<std::unique_ptr<Doc>>& docs,
                         const std::vector<ParsedSent>& data) {
  for (size_t d = 0; d < docs.size(); ++d)
    for (size_t i = 0; i < docs[d]->size(); ++i) {
      const Token t = docs[d]->token(i);
      if (t.head().i() != data[d].heads[i] || t.dep_() != data[d].deps[i]) return false;
    }
  return true;
}

// Every sentence start as in the gold parse (the sentences of parsed_sentences() end in ".").
inline bool sents_match(const std::vector<std::unique_ptr<Doc>>& docs,
                        const std::vector<ParsedSent>& data) {
  for (size_t d = 0; d < docs.size(); ++d) {
    std::vector<size_t> want;
    for (size_t i = 0; i < data[d].words.size(); ++i)
      if (i == 0 || data[d].words[i - 1] == ".") want.push_back(i);
    std::vector<size_t> got;
    for (size_t i = 0; i < docs[d]->size(); ++i)
      if (docs[d]->token(i).is_sent_start().value_or(false)) got.push_back(i);
    if (got != want) return false;
  }
  return true;
}

// The training loop's step (training/loop.cpp) without schedules: update without an optimizer,
// then finish_update on every trainable pipe not excluded.
inline void train_step(Language& nlp, const std::vector<Example>& egs, Optimizer& opt,
                       const std::vector<std::string>& exclude = {},
                       const std::vector<std::string>& annotates = {}, Losses* out = nullptr,
                       double drop = 0.0) {
  Losses losses;
  nlp.update(egs, drop, nullptr, losses, exclude, annotates);
  for (Pipe* p : nlp.pipeline()) {
    if (!p->is_trainable()) continue;
    if (std::find(exclude.begin(), exclude.end(), p->name()) != exclude.end()) continue;
    static_cast<TrainablePipe*>(p)->finish_update(opt);
  }
  if (out) *out = losses;
}

// Initializes on `egs`, then trains (Adam, learn rate 0.01, no averages) until `right()` holds,
// checked every 5 updates. Returns the updates needed, -1 when never within max_updates, -2
// when right before training (the check could not fail).
template <class F>
int overfit_examples(Language& nlp, const std::vector<Example>& egs, F right,
                     int max_updates = 200, double drop = 0.0) {
  nlp.initialize([&] { return egs; });
  OptimizerOptions o;
  o.learn_rate = 0.01;
  o.use_averages = false;
  Optimizer opt(o);
  if (right()) return -2;
  for (int step = 1; step <= max_updates; ++step) {
    train_step(nlp, egs, opt, {}, {}, nullptr, drop);
    if (step % 5 == 0 && right()) return step;
  }
  return -1;
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
