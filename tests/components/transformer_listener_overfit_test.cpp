// Components listening to a `transformer` (spacy-transformers.TransformerListener.v1, a tiny
// random BERT with the real bert-base-uncased vocabulary; the tagger also on a tiny XLNet):
// tagger, ner, textcat and textcat_multilabel each overfit a small hand-made training set to 100 % in a bounded number of
// updates; a pipeline with tagger + ner + textcat all listening to one transformer trains, saves,
// reloads (without the original model folder) and predicts identically.
// Pipelines are built from .cfg text as a spaCy user writes it (Language::from_config) and
// trained the way training/loop.cpp does: nlp.update(sgd=nullptr), then finish_update per pipe.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <iostream>
#include <tuple>

#include <ATen/ATen.h>

#include "components/register.hpp"
#include "tests/components/overfit_fixture.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/torch/optimizer.hpp"
#include "trfpipe/torch/transformer_data.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

// The shared hand-made sentences plus one without entities (textcat_multilabel's labels
// follow the entities: HAS_PER, HAS_LOC, both, one or none per doc).
const std::vector<Sent>& data() {
  static const std::vector<Sent> d = [] {
    std::vector<Sent> v = hand_made_sentences();
    v.push_back({{"the", "cat", "sleeps"}, {"D", "N", "V"}, {}, "POS"});
    return v;
  }();
  return d;
}

bool has_label(const Sent& s, const std::string& label) {
  for (const auto& e : s.ents)
    if (std::get<2>(e) == label) return true;
  return false;
}

std::vector<Example> make_examples(Language& nlp, bool multilabel) {
  std::vector<Example> out;
  for (const Sent& s : data()) {
    auto ref = reference_doc(nlp, s);
    if (multilabel) {
      ref->cats()["HAS_PER"] = has_label(s, "PER") ? 1.0 : 0.0;
      ref->cats()["HAS_LOC"] = has_label(s, "LOC") ? 1.0 : 0.0;
    } else {
      ref->cats()["POS"] = s.cat == "POS" ? 1.0 : 0.0;
      ref->cats()["NEG"] = s.cat == "NEG" ? 1.0 : 0.0;
    }
    out.push_back(Example::from_reference(ref));
  }
  return out;
}

// ---- the config, as a spaCy user writes it ----

std::string listener_block(const std::string& path) {
  return "[" + path + "]\n"
         "@architectures = \"spacy-transformers.TransformerListener.v1\"\n"
         "grad_factor = 1.0\n"
         "upstream = \"*\"\n\n"
         "[" + path + ".pooling]\n"
         "@layers = \"reduce_mean.v1\"\n\n";
}

std::string component_block(const std::string& name) {
  const std::string c = "components." + name;
  if (name == "tagger")
    return "[" + c + "]\nfactory = \"tagger\"\n\n"
           "[" + c + ".model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\nnormalize = false\n\n" +
           listener_block(c + ".model.tok2vec");
  if (name == "ner")
    return "[" + c + "]\nfactory = \"ner\"\n\n"
           "[" + c + ".model]\n@architectures = \"spacy.TransitionBasedParser.v2\"\n"
           "state_type = \"ner\"\nextra_state_tokens = false\nhidden_width = 64\n"
           "maxout_pieces = 2\nuse_upper = false\nnO = null\n\n" +
           listener_block(c + ".model.tok2vec");
  // textcat / textcat_multilabel: spaCy's transformer quickstart model
  const bool exclusive = name == "textcat";
  return "[" + c + "]\nfactory = \"" + name + "\"\n\n"
         "[" + c + ".model]\n@architectures = \"spacy.TextCatReduce.v1\"\n"
         "exclusive_classes = " + (exclusive ? "true" : "false") + "\n"
         "use_reduce_first = false\nuse_reduce_last = false\nuse_reduce_max = false\n"
         "use_reduce_mean = true\nnO = null\n\n" +
         listener_block(c + ".model.tok2vec");
}

// transformer_config switching dropout off, under the model family's key names.
const char* kBertNoDropout = "hidden_dropout_prob = 0.0\nattention_probs_dropout_prob = 0.0\n\n";
const char* kXlnetNoDropout = "dropout = 0.0\n\n";

std::string config_text(const std::string& bert_dir, const std::vector<std::string>& listeners,
                        const std::string& no_dropout = kBertNoDropout) {
  std::string pipeline = "\"transformer\"";
  for (const auto& n : listeners) pipeline += ", \"" + n + "\"";
  std::string t =
      "[paths]\n"
      "bert = \"" + bert_dir + "\"\n\n"
      "[nlp]\n"
      "lang = \"en\"\n"
      "pipeline = [" + pipeline + "]\n"
      "batch_size = 128\n\n"
      "[components]\n\n"
      "[components.transformer]\n"
      "factory = \"transformer\"\n"
      "max_batch_items = 4096\n\n"
      "[components.transformer.set_extra_annotations]\n"
      "@annotation_setters = \"spacy-transformers.null_annotation_setter.v1\"\n\n"
      "[components.transformer.model]\n"
      "@architectures = \"spacy-transformers.TransformerModel.v3\"\n"
      "name = ${paths.bert}\n"
      "mixed_precision = false\n\n"
      "[components.transformer.model.get_spans]\n"
      "@span_getters = \"spacy-transformers.strided_spans.v1\"\n"
      "window = 128\n"
      "stride = 96\n\n"
      "[components.transformer.model.grad_scaler_config]\n\n"
      "[components.transformer.model.tokenizer_config]\n"
      "use_fast = true\n\n"
      "[components.transformer.model.transformer_config]\n" + no_dropout;
  for (const auto& n : listeners) t += component_block(n);
  return t;
}

std::unique_ptr<Language> build(const std::string& bert_dir, const std::vector<std::string>& listeners,
                                const std::string& no_dropout = kBertNoDropout) {
  register_components();
  at::manual_seed(0);
  return Language::from_config(load_config(config_text(bert_dir, listeners, no_dropout)));
}

// ---- predictions ----

std::vector<std::unique_ptr<Doc>> predict(Language& nlp) { return predict_sentences(nlp, data()); }

using Docs = std::vector<std::unique_ptr<Doc>>;
bool tags_right(const Docs& docs) { return tags_match(docs, data()); }
bool ents_right(const Docs& docs) { return ents_match(docs, data()); }
bool cats_right(const Docs& docs) { return pos_neg_match(docs, data(), 0.5); }

bool multilabel_right(const std::vector<std::unique_ptr<Doc>>& docs) {
  for (size_t d = 0; d < docs.size(); ++d) {
    const auto& cats = docs[d]->cats();
    if (cats.size() != 2 || !cats.count("HAS_PER") || !cats.count("HAS_LOC")) return false;
    if ((cats.at("HAS_PER") > 0.5) != has_label(data()[d], "PER") ||
        (cats.at("HAS_LOC") > 0.5) != has_label(data()[d], "LOC"))
      return false;
  }
  return true;
}

using Check = std::function<bool(const std::vector<std::unique_ptr<Doc>>&)>;

// The training loop's step (training/loop.cpp): update without an optimizer, then finish_update
// on every trainable pipe, then step the schedules.
void train_step(Language& nlp, const std::vector<Example>& egs, Optimizer& opt, Losses& losses) {
  nlp.update(egs, 0.0, nullptr, losses);
  for (Pipe* p : nlp.pipeline())
    if (p->is_trainable()) static_cast<TrainablePipe*>(p)->finish_update(opt);
  opt.step_schedules();
}

std::shared_ptr<Optimizer> adam() {
  OptimizerOptions o;
  o.learn_rate = 0.002;  // Adam.v1; a rate that suits a freshly initialised tiny BERT
  o.use_averages = false;
  return Optimizer::adam(o);
}

constexpr int kMaxUpdates = 300;

struct OverfitResult {
  int updates = -1;       // updates until every check held (-1: never within kMaxUpdates)
  bool right_before = true;
  double seconds = 0;
  Losses first, last;
};

// Initializes on the examples, checks that `right` fails before training, trains until it
// holds (checked after every update).
OverfitResult overfit(Language& nlp, const std::vector<Example>& egs, const Check& right,
                      const std::function<void()>& after_initialize = {}) {
  OverfitResult r;
  auto t0 = std::chrono::steady_clock::now();
  nlp.initialize([&] { return egs; });
  if (after_initialize) after_initialize();
  r.right_before = right(predict(nlp));
  auto opt = adam();
  for (int step = 1; step <= kMaxUpdates; ++step) {
    Losses losses;
    train_step(nlp, egs, *opt, losses);
    if (step == 1) r.first = losses;
    r.last = losses;
    if (right(predict(nlp))) {
      r.updates = step;
      break;
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

NamedTensors params(Language& nlp, const std::string& name) {
  return dynamic_cast<ParameterOwner&>(nlp.get_pipe(name)).named_parameters();
}

void run_single(const std::string& component, const Check& right, bool multilabel = false,
                bool xlnet = false) {
  auto nlp = xlnet ? build(tiny_xlnet(), {component}, kXlnetNoDropout) : build(tiny_bert(), {component});
  ASSERT_EQ(nlp->pipe_names(), (std::vector<std::string>{"transformer", component}));
  auto egs = make_examples(*nlp, multilabel);
  std::vector<at::Tensor> trf_before;
  OverfitResult r =
      overfit(*nlp, egs, right, [&] { trf_before = snapshot(params(*nlp, "transformer")); });
  ASSERT_FALSE(trf_before.empty());
  EXPECT_FALSE(r.right_before) << component << " was right before training: the check cannot fail";
  EXPECT_GT(r.updates, 0) << component << " did not reach 100% in " << kMaxUpdates
                          << " updates; last loss " << r.last[component];
  EXPECT_LT(r.last[component], r.first[component]);
  // The listener's gradient reached the transformer, which was updated. (Not necessarily in the
  // first update: spaCy's Softmax output layers start at zero, passing no gradient back.)
  EXPECT_GT(r.last["transformer"], 0.0);
  EXPECT_FALSE(same(params(*nlp, "transformer"), trf_before));
  std::cout << "[ measured ] " << component << " with a transformer listener: 100% after "
            << r.updates << " updates (" << r.seconds << " s); loss " << r.first[component]
            << " -> " << r.last[component] << "\n";
}

}  // namespace

TEST(TransformerListenerOverfit, Tagger) {
  run_single("tagger", tags_right);
}

TEST(TransformerListenerOverfit, Ner) {
  run_single("ner", ents_right);
}

TEST(TransformerListenerOverfit, TextCatExclusive) {
  run_single("textcat", cats_right);
}

TEST(TransformerListenerOverfit, TextCatMultilabel) {
  run_single("textcat_multilabel", multilabel_right, true);
}

// XLNet under the v3 transformer: left-padded batches, relative positions, segment ids.
TEST(TransformerListenerOverfit, TaggerOnXlnet) {
  run_single("tagger", tags_right, false, /*xlnet=*/true);
}

// The ner's projection layer takes its input width from the listener, which learns it from its
// transformer: without one the width is unknown, an error at initialization (not construction).
TEST(TransformerListenerOverfit, NerListenerWithoutATransformerFailsAtInitialize) {
  register_components();
  auto nlp = Language::blank("en");
  Json listener = load_config(listener_block("x"))["x"];
  EXPECT_NO_THROW(nlp->add_pipe(
      "ner", "ner",
      Json{{"model", Json{{"@architectures", "spacy.TransitionBasedParser.v2"},
                          {"state_type", "ner"}, {"extra_state_tokens", false},
                          {"hidden_width", 64}, {"maxout_pieces", 2}, {"use_upper", false},
                          {"nO", nullptr}, {"tok2vec", listener}}}}));
  auto egs = make_examples(*nlp, false);
  try {
    nlp->initialize([&] { return egs; });
    ADD_FAILURE() << "expected a ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("width is still unknown"), std::string::npos) << e.what();
  }
}

// ---- one transformer, three listeners: train, save, reload, predict identically ----
namespace {

struct Outputs {
  std::vector<std::vector<std::string>> tags;
  std::vector<std::vector<Ent>> ents;
  std::vector<std::map<std::string, double>> cats;
  std::vector<at::Tensor> hidden;  // trf_data last_hidden_state per doc
};

Outputs outputs(std::vector<Doc*> docs) {
  Outputs o;
  for (Doc* doc : docs) {
    std::vector<std::string> tags;
    for (size_t i = 0; i < doc->size(); ++i) tags.push_back(doc->token(i).tag_());
    o.tags.push_back(tags);
    std::vector<Ent> ents;
    for (Span& s : doc->ents()) ents.emplace_back(s.start(), s.end(), s.label_());
    o.ents.push_back(ents);
    o.cats.emplace_back(doc->cats().begin(), doc->cats().end());
    TransformerDataPtr d = get_trf_data(*doc);
    o.hidden.push_back(d ? d->model_output.last_hidden_state.detach().clone() : at::Tensor());
  }
  return o;
}

const std::vector<std::string>& new_texts() {
  static const std::vector<std::string> t = {
      "Eve loves sunny Berlin.", "Frank and Grace walked to Madrid yesterday",
      "nothing happens here", "Alice visited Rome and London with Bob Smith today."};
  return t;
}

Outputs outputs_on_train_and_new(Language& nlp) {
  auto train = predict(nlp);
  std::vector<Doc> fresh = nlp.pipe(new_texts());
  std::vector<Doc*> all;
  for (auto& d : train) all.push_back(d.get());
  for (auto& d : fresh) all.push_back(&d);
  return outputs(all);
}

}  // namespace

TEST(TransformerListenerOverfit, SharedTransformerPipelineTrainsSavesReloadsIdentically) {
  // Its own checkpoint folder, removed before loading: the saved pipeline must not need it.
  const std::string bert = temp_dir("shared_bert");
  HFCheckpointOptions co;
  co.arch = "bert";
  co.layers = 2;
  co.width = kWidth;
  co.heads = 2;
  co.intermediate_size = 64;
  co.tokenizer_path = bert_vocab();
  co.seed = 11;
  write_hf_checkpoint(bert, co);

  auto nlp = build(bert, {"tagger", "ner", "textcat"});
  ASSERT_EQ(nlp->pipe_names(), (std::vector<std::string>{"transformer", "tagger", "ner", "textcat"}));
  auto egs = make_examples(*nlp, false);
  OverfitResult r = overfit(*nlp, egs, [](const std::vector<std::unique_ptr<Doc>>& docs) {
    return tags_right(docs) && ents_right(docs) && cats_right(docs);
  });
  EXPECT_FALSE(r.right_before);
  ASSERT_GT(r.updates, 0) << "tagger + ner + textcat on one transformer did not all reach 100% in "
                          << kMaxUpdates << " updates";
  for (const char* c : {"transformer", "tagger", "ner", "textcat"}) EXPECT_GT(r.last[c], 0.0) << c;
  std::cout << "[ measured ] tagger + ner + textcat on one transformer: 100% after " << r.updates
            << " updates (" << r.seconds << " s)\n";

  const std::string dir = temp_dir("shared_pipeline");
  nlp->to_disk(dir + "/pipe");
  fs::remove_all(bert);
  ASSERT_FALSE(fs::exists(bert));
  auto loaded = Language::load(dir + "/pipe");
  ASSERT_EQ(loaded->pipe_names(), nlp->pipe_names());
  EXPECT_EQ(loaded->get_pipe("tagger").labels(), nlp->get_pipe("tagger").labels());
  EXPECT_EQ(loaded->get_pipe("ner").labels(), nlp->get_pipe("ner").labels());
  EXPECT_EQ(loaded->get_pipe("textcat").labels(), nlp->get_pipe("textcat").labels());

  Outputs a = outputs_on_train_and_new(*nlp), b = outputs_on_train_and_new(*loaded);
  const size_t n = data().size() + new_texts().size();
  ASSERT_EQ(a.tags.size(), n);
  ASSERT_EQ(b.tags.size(), n);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.ents, b.ents);
  double worst_cat = 0, worst_hidden = 0;
  for (size_t d = 0; d < n; ++d) {
    ASSERT_EQ(a.cats[d].size(), 2u) << d;
    ASSERT_EQ(b.cats[d].size(), 2u) << d;
    for (const auto& [label, score] : a.cats[d]) {
      ASSERT_TRUE(b.cats[d].count(label)) << d << " " << label;
      worst_cat = std::max(worst_cat, std::abs(score - b.cats[d].at(label)));
    }
    ASSERT_TRUE(a.hidden[d].defined()) << d;
    ASSERT_TRUE(b.hidden[d].defined()) << d;
    ASSERT_EQ(a.hidden[d].sizes(), b.hidden[d].sizes()) << d;
    worst_hidden = std::max(worst_hidden, (a.hidden[d] - b.hidden[d]).abs().max().item<double>());
  }
  EXPECT_LE(worst_cat, 1e-6);
  EXPECT_LE(worst_hidden, 1e-6);
  std::cout << "[ measured ] after to_disk -> load: max |cats diff| " << worst_cat
            << ", max |last_hidden_state diff| " << worst_hidden << " over " << n << " docs\n";
  // The reloaded pipeline is still 100% on the training set, and the new texts got annotations.
  auto reloaded_train = predict(*loaded);
  EXPECT_TRUE(tags_right(reloaded_train) && ents_right(reloaded_train) && cats_right(reloaded_train));
  for (size_t d = data().size(); d < n; ++d) EXPECT_FALSE(b.tags[d].empty() || b.tags[d][0].empty()) << d;
  fs::remove_all(dir);
}
