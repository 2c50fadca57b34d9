// The transformer component: pieces, alignment, doc.tensor weighting, span getters,
// batching, truncation, serialization and errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <ATen/ATen.h>

#include "components/transformer/transformer.hpp"
#include "tests/components/transformer_fixture.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/transformer.hpp"
#include "trfpipe/torch/optimizer.hpp"
#include "trfpipe/torch/transformer_data.hpp"

using namespace trfpipe;
using namespace trfpipe::testing;
namespace fs = std::filesystem;

namespace {

std::vector<int64_t> ids_row(const TransformerData& d, int64_t row) {
  at::Tensor t = d.wordpieces.input_ids[row].contiguous();
  return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

std::vector<std::vector<int64_t>> align_lists(const Ragged& r) {
  std::vector<std::vector<int64_t>> out;
  size_t k = 0;
  for (int64_t len : r.lengths) {
    out.emplace_back(r.data.begin() + k, r.data.begin() + k + len);
    k += len;
  }
  return out;
}

std::string many_words(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + std::string(i % 2 ? "word" : "text");
  return s;
}

}  // namespace

TEST(TransformerComponent, SeedSentenceGivesBertIdsAlignmentAndTensor) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), true));
  Doc doc = (*nlp)("Here is some text to encode.");
  ASSERT_EQ(doc.size(), 7u);
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_TRUE(d);
  EXPECT_EQ(ids_row(*d, 0),
            (std::vector<int64_t>{101, 2182, 2003, 2070, 3793, 2000, 4372, 16044, 1012, 102}));
  EXPECT_EQ(d->wordpieces.strings[0][6], "en");
  EXPECT_EQ(d->wordpieces.strings[0][7], "##code");
  EXPECT_EQ(align_lists(d->align),
            (std::vector<std::vector<int64_t>>{{1}, {2}, {3}, {4}, {5}, {6, 7}, {8}}));
  const at::Tensor& lhs = d->model_output.last_hidden_state;
  ASSERT_EQ(lhs.sizes(), (at::IntArrayRef{1, 10, kWidth}));
  EXPECT_TRUE(d->model_output.pooler_output.defined());
  EXPECT_EQ(doc.tensor().rows, 7);
  EXPECT_EQ(doc.tensor().cols, kWidth);
  // doc.tensor.sum(0) == last_hidden_state.sum(0) (every piece row shared out exactly once).
  at::Tensor expected = lhs[0].sum(0);
  double worst = 0;
  for (int64_t c = 0; c < kWidth; ++c) {
    double s = 0;
    for (int64_t r = 0; r < 7; ++r) s += doc.tensor().row(r)[c];
    EXPECT_NEAR(s, expected[c].item<double>(), 1e-5) << c;
    worst = std::max(worst, std::abs(s - expected[c].item<double>()));
  }
  std::cout << "[ measured ] |doc.tensor.sum(0) - last_hidden_state.sum(0)| max " << worst << "\n";
  // Token 0 ("Here") gets piece 1 plus a seventh of [CLS] and [SEP].
  at::Tensor t0 = lhs[0][1] + (lhs[0][0] + lhs[0][9]) / 7.0;
  EXPECT_NEAR(doc.tensor().row(0)[3], t0[3].item<double>(), 1e-5);
  // "encode" = en + ##code.
  at::Tensor t5 = lhs[0][6] + lhs[0][7] + (lhs[0][0] + lhs[0][9]) / 7.0;
  EXPECT_NEAR(doc.tensor().row(5)[0], t5[0].item<double>(), 1e-5);
}

TEST(TransformerComponent, TensorHooksGiveVectorsAndSimilarity) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), true));
  Doc a = (*nlp)("Here is some text to encode.");
  Doc b = (*nlp)("Completely different words here!");
  std::vector<float> v = a.vector();
  ASSERT_EQ(v.size(), static_cast<size_t>(kWidth));
  double s = 0;
  for (int64_t r = 0; r < 7; ++r) s += a.tensor().row(r)[2];
  EXPECT_NEAR(v[2], s, 1e-5);
  EXPECT_NEAR(a.similarity(a), 1.0, 1e-6);
  double ab = a.similarity(b);
  EXPECT_LT(ab, 1.0 - 1e-6);
  EXPECT_GT(ab, -1.0);
  Span sp = a.span(1, 3);
  std::vector<float> sv = sp.vector();
  EXPECT_NEAR(sv[0], a.tensor().row(1)[0] + a.tensor().row(2)[0], 1e-5);
  EXPECT_EQ(a.token(4).vector()[5], a.tensor().row(4)[5]);
  EXPECT_NEAR(a.token(4).similarity(a.token(4)), 1.0, 1e-6);
}

TEST(TransformerComponent, WithoutTensorOptionDocTensorStaysEmpty) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), false));
  Doc doc = (*nlp)("Here is some text to encode.");
  EXPECT_TRUE(doc.tensor().empty());
  EXPECT_TRUE(get_trf_data(doc));
}

TEST(TransformerComponent, DocTensorSetterAnnotationSetterFillsTensor) {
  Json cfg = transformer_config(tiny_bert(), doc_spans_cfg(), false);
  cfg["set_extra_annotations"] = Json{{"@annotation_setters", "trfpipe.doc_tensor_setter.v1"}};
  auto nlp = trf_nlp(cfg);
  Doc doc = (*nlp)("Here is some text to encode.");
  EXPECT_EQ(doc.tensor().rows, 7);
  EXPECT_EQ(doc.tensor().cols, kWidth);
}

TEST(SpanGetters, StridedSpansFollowSpacyTransformers) {
  EXPECT_EQ(strided_ranges(200, 128, 96), (std::vector<TokenRange>{{0, 128}, {96, 200}}));
  EXPECT_EQ(strided_ranges(50, 128, 96), (std::vector<TokenRange>{{0, 50}}));
  EXPECT_EQ(strided_ranges(0, 128, 96), (std::vector<TokenRange>{}));
  EXPECT_EQ(strided_ranges(96, 128, 96), (std::vector<TokenRange>{{0, 96}}));
  EXPECT_EQ(strided_ranges(300, 128, 96),
            (std::vector<TokenRange>{{0, 128}, {96, 224}, {192, 300}}));
  EXPECT_EQ(strided_ranges(10, 4, 3), (std::vector<TokenRange>{{0, 4}, {3, 7}, {6, 10}}));
  EXPECT_THROW(strided_ranges(10, 0, 3), ValueError);
}

TEST(SpanGetters, SentSpansNeedSentenceBoundaries) {
  register_components();
  auto vocab = std::make_shared<Vocab>("en");
  Doc doc(vocab, {"A", "b", ".", "C", "d"});
  std::vector<Doc*> docs{&doc};
  EXPECT_THROW(sent_spans()(docs), ValueError);
  doc.token(0).set_is_sent_start(true);
  doc.token(3).set_is_sent_start(true);
  for (size_t i : {1, 2, 4}) doc.token(i).set_is_sent_start(false);
  EXPECT_EQ(sent_spans()(docs)[0], (std::vector<TokenRange>{{0, 3}, {3, 5}}));
  EXPECT_EQ(doc_spans()(docs)[0], (std::vector<TokenRange>{{0, 5}}));
}

TEST(TransformerComponent, OverlappingWindowsAlignTokensToBothWindowsPieces) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), strided_cfg(8, 6), false));
  Doc doc = (*nlp)("one two three four five six seven eight nine ten eleven twelve thirteen");
  ASSERT_EQ(doc.size(), 13u);
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_TRUE(d);
  // Windows [0:8], [6:13] (for-else: start 6 < 13).
  ASSERT_EQ(d->spans, (std::vector<TokenRange>{{0, 8}, {6, 13}}));
  const int64_t L = d->wordpieces.padded_length();
  auto al = align_lists(d->align);
  // Token 6 ("seven") is in both windows: piece 7 of window 0 and piece 1 of window 1.
  EXPECT_EQ(al[6], (std::vector<int64_t>{7, L + 1}));
  EXPECT_EQ(al[7], (std::vector<int64_t>{8, L + 2}));
  EXPECT_EQ(al[0], (std::vector<int64_t>{1}));
  EXPECT_EQ(al[12], (std::vector<int64_t>{L + 7}));
}

TEST(BatchByLength, SortsGroupsAndReversesLikeSpacyTransformers) {
  EXPECT_EQ(batch_by_length({5, 1, 3, 7}, 8),
            (std::vector<std::vector<size_t>>{{3}, {0}, {1, 2}}));
  EXPECT_EQ(batch_by_length({2, 2, 2, 2}, 8), (std::vector<std::vector<size_t>>{{0, 1, 2, 3}}));
  EXPECT_EQ(batch_by_length({20}, 8), (std::vector<std::vector<size_t>>{{0}}));
  EXPECT_TRUE(batch_by_length({}, 8).empty());
}

TEST(TransformerComponent, PipeInLengthBatchesMatchesOneDocAtATime) {
  Json cfg = transformer_config(tiny_bert(), doc_spans_cfg(), true);
  cfg["max_batch_items"] = 12;  // forces several sub-batches
  auto nlp = trf_nlp(cfg);
  std::vector<std::string> texts{"Here is some text to encode.", "Short one.",
                                 "A somewhat longer sentence with several more words in it.", "Hi"};
  std::vector<Doc> batched = nlp->pipe(texts, 3);
  ASSERT_EQ(batched.size(), texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    Doc single = (*nlp)(texts[i]);
    EXPECT_EQ(batched[i].text(), texts[i]);
    ASSERT_EQ(batched[i].tensor().rows, single.tensor().rows);
    for (size_t k = 0; k < single.tensor().data.size(); ++k)
      ASSERT_NEAR(batched[i].tensor().data[k], single.tensor().data[k], 1e-4) << i << " " << k;
  }
}

TEST(TransformerComponent, LongDocIsTruncatedWithZeroRowsAndOneWarning) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(16), doc_spans_cfg(), true));
  auto& pipe = dynamic_cast<TransformerPipe&>(nlp->get_pipe("transformer"));
  const std::string text = many_words(30);
  ::testing::internal::CaptureStderr();
  Doc doc = (*nlp)(text);
  Doc doc2 = (*nlp)(text);
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(pipe.model().truncation_warnings(), 1);
  size_t first = err.find("longer than the specified maximum sequence length");
  ASSERT_NE(first, std::string::npos) << err;
  EXPECT_EQ(err.find("longer than the specified maximum sequence length", first + 1), std::string::npos);
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_EQ(d->model_output.last_hidden_state.sizes(), (at::IntArrayRef{1, 16, kWidth}));
  EXPECT_EQ(d->wordpieces.lengths, (std::vector<int64_t>{16}));
  EXPECT_EQ(d->wordpieces.strings[0].size(), 16u);
  // 30 single-piece tokens: tokens 0..14 keep pieces 1..15, the rest are cut.
  auto al = align_lists(d->align);
  ASSERT_EQ(al.size(), 30u);
  EXPECT_EQ(al[14], (std::vector<int64_t>{15}));
  for (size_t i = 15; i < 30; ++i) EXPECT_TRUE(al[i].empty()) << i;
  EXPECT_EQ(d->cut_tokens.size(), 15u);
  for (int64_t r = 15; r < 30; ++r)
    for (int64_t c = 0; c < kWidth; ++c) ASSERT_EQ(doc.tensor().row(r)[c], 0.f);
  // The kept pieces ([CLS] included, [SEP] cut) are still shared out exactly once.
  at::Tensor total = d->model_output.last_hidden_state[0].sum(0);
  for (int64_t c = 0; c < kWidth; ++c) {
    double s = 0;
    for (int64_t r = 0; r < 30; ++r) s += doc.tensor().row(r)[c];
    EXPECT_NEAR(s, total[c].item<double>(), 1e-4) << c;
  }
  // Listener pooling: cut tokens get zero vectors, kept ones do not.
  TransformerListenerModel listener(Pooling{}, 1.0, "*", kWidth);
  std::vector<Doc*> docs{&doc};
  at::Tensor pooled = listener.forward(docs, false)[0];
  ASSERT_EQ(pooled.sizes(), (at::IntArrayRef{30, kWidth}));
  EXPECT_EQ(pooled.slice(0, 15).abs().sum().item<double>(), 0.0);
  EXPECT_GT(pooled.slice(0, 0, 15).abs().sum().item<double>(), 0.0);
}

TEST(TransformerComponent, EmptyDocGetsEmptyData) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), true));
  Doc doc = (*nlp)("");
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->model_output.last_hidden_state.size(0), 0);
  EXPECT_EQ(doc.tensor().rows, 0);
  std::vector<Doc> docs = nlp->pipe({"", "Some words."});
  EXPECT_EQ(get_trf_data(docs[1])->wordpieces.lengths, (std::vector<int64_t>{5}));
}

TEST(TransformerComponent, HubNameThatIsNotALocalFolderIsAClearError) {
  auto nlp = trf_nlp(transformer_config("bert-base-uncased", doc_spans_cfg(), false));
  try {
    (*nlp)("Some text.");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a local folder"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("never downloads"), std::string::npos) << e.what();
  }
}

TEST(TransformerComponent, BadConfigValuesAreConfigErrors) {
  register_components();
  Json cfg = transformer_config(tiny_bert(), doc_spans_cfg(), false);
  cfg["max_batch_items"] = 0;
  auto nlp = Language::blank("en");
  EXPECT_THROW(nlp->add_pipe("transformer", "transformer", cfg), ConfigError);
  cfg = transformer_config(tiny_bert(), strided_cfg(0, 96), false);
  EXPECT_THROW(nlp->add_pipe("transformer", "t2", cfg), ConfigError);
}

TEST(TransformerComponent, OutputHiddenStatesFromTransformerConfig) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), false,
                                        Json{{"output_hidden_states", true}}));
  Doc doc = (*nlp)("Here is some text to encode.");
  TransformerDataPtr d = get_trf_data(doc);
  ASSERT_EQ(d->model_output.hidden_states.size(), 3u);  // embeddings + 2 layers
  EXPECT_TRUE(d->model_output.hidden_states[2].allclose(d->model_output.last_hidden_state));
  EXPECT_EQ(d->tensors().size(), 5u);
}

TEST(TransformerComponent, JsonViewHasTensorWordpiecesAndAlign) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), true));
  Doc doc = (*nlp)("Here is some text to encode.");
  Json j = transformer_doc_json(doc);
  EXPECT_EQ(j["tensor"]["shape"], Json::array({7, kWidth}));
  EXPECT_EQ(j["tensor"]["rows"].size(), 7u);
  EXPECT_EQ(j["trf_data"]["wordpieces"]["input_ids"][0][1], 2182);
  EXPECT_EQ(j["trf_data"]["wordpieces"]["strings"][0][7], "##code");
  EXPECT_EQ(j["trf_data"]["align"]["lengths"], Json::array({1, 1, 1, 1, 1, 2, 1}));
  auto vocab = std::make_shared<Vocab>("en");
  Doc bare(vocab, {"x"});
  EXPECT_TRUE(transformer_doc_json(bare).empty());
}

TEST(TransformerSerialization, SaveLoadGivesIdenticalOutputs) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), strided_cfg(8, 6), true));
  const std::string text = "Here is some text to encode, and a few more words after it.";
  nlp->initialize(nullptr);
  Doc before = (*nlp)(text);
  std::string dir = temp_dir("save");
  nlp->to_disk(dir + "/pipe");
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/model.safetensors"));
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/config.json"));
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/vocab.txt"));
  EXPECT_TRUE(fs::exists(dir + "/pipe/transformer/cfg"));
  auto loaded = Language::load(dir + "/pipe");
  Doc after = (*loaded)(text);
  EXPECT_TRUE(get_trf_data(before)->model_output.last_hidden_state.equal(
      get_trf_data(after)->model_output.last_hidden_state));
  EXPECT_EQ(before.tensor().data, after.tensor().data);
  EXPECT_EQ(get_trf_data(before)->align.data, get_trf_data(after)->align.data);
  fs::remove_all(dir);
}

TEST(TransformerSerialization, TruncatedWeightsFileIsADataError) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), doc_spans_cfg(), false));
  nlp->initialize(nullptr);
  std::string dir = temp_dir("corrupt");
  nlp->to_disk(dir + "/pipe");
  const std::string weights = dir + "/pipe/transformer/model.safetensors";
  fs::resize_file(weights, fs::file_size(weights) / 2);
  EXPECT_THROW(Language::load(dir + "/pipe"), DataError);
  {
    std::ofstream f(weights, std::ios::binary | std::ios::trunc);
    f << "garbage";
  }
  EXPECT_THROW(Language::load(dir + "/pipe"), DataError);
  fs::remove(weights);
  EXPECT_THROW(Language::load(dir + "/pipe"), Error);
  fs::remove_all(dir);
}

TEST(TransformerSerialization, TransformerWithListeningTaggerSavesAndLoads) {
  auto nlp = trf_nlp(transformer_config(tiny_bert(), strided_cfg(8, 6), false,
                                        Json{{"hidden_dropout_prob", 0.0},
                                             {"attention_probs_dropout_prob", 0.0}}));
  nlp->add_pipe("tagger", "tagger",
                Json{{"model", Json{{"@architectures", "spacy.Tagger.v2"},
                                    {"nO", nullptr},
                                    {"normalize", false},
                                    {"tok2vec", Json{{"@architectures", "spacy-transformers.TransformerListener.v1"},
                                                     {"grad_factor", 1.0},
                                                     {"upstream", "*"},
                                                     {"pooling", Json{{"@layers", "reduce_mean.v1"}}}}}}}});
  nlp->link_components();
  std::vector<Example> egs;
  for (const char* text : {"Here is some text to encode.", "Dogs bark loudly at night."}) {
    auto ref = std::make_shared<Doc>(nlp->make_doc(text));
    for (size_t i = 0; i < ref->size(); ++i) ref->token(i).set_tag(i % 2 ? "VB" : "NN");
    ref->token(ref->size() - 1).set_tag(".");
    egs.push_back(Example::from_reference(ref));
  }
  nlp->initialize([&] { return egs; });
  auto adam = Optimizer::adam();
  for (int it = 0; it < 5; ++it) {
    Losses losses;
    nlp->update(egs, 0.0, adam.get(), losses);
  }
  const std::string text = "Here is some text to encode.";
  Doc before = (*nlp)(text);
  EXPECT_FALSE(before.token(6).tag_().empty());
  std::string dir = temp_dir("tagger");
  nlp->to_disk(dir + "/pipe");
  auto loaded = Language::load(dir + "/pipe");
  ASSERT_EQ(loaded->pipe_names(), (std::vector<std::string>{"transformer", "tagger"}));
  Doc after = (*loaded)(text);
  // Equal to float rounding, not bit for bit: the loaded weights, as read from the file, run on
  // packed copies (models/reduced_precision.hpp), the trained ones in memory on sgemm.
  EXPECT_TRUE(at::allclose(get_trf_data(before)->model_output.last_hidden_state,
                           get_trf_data(after)->model_output.last_hidden_state, 0.0, 1e-5));
  for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(before.token(i).tag_(), after.token(i).tag_()) << i;
  fs::remove_all(dir);
}
