// Batchers, corpus reader, default config / score weights, and the training loop (determinism,
// model-last / model-best).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "formats/data_test_util.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/scorer.hpp"
#include "trfpipe/trfpipe.hpp"
#include "trfpipe/training.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

using testing::TempDir;

class RegisterAll : public ::testing::Environment {
 public:
  void SetUp() override { register_all(); }
};
const auto* const kRegisterAll = ::testing::AddGlobalTestEnvironment(new RegisterAll);

std::shared_ptr<Vocab> vocab() {
  static auto v = std::make_shared<Vocab>("en");
  return v;
}

std::vector<Example> examples_of_lengths(const std::vector<size_t>& lengths) {
  std::vector<Example> out;
  for (size_t n : lengths) {
    std::vector<std::string> words(n, "w");
    out.push_back(Example::from_reference(std::make_shared<Doc>(vocab(), words)));
  }
  return out;
}

std::vector<std::vector<size_t>> shape(const std::vector<Batch>& batches) {
  std::vector<std::vector<size_t>> out;
  for (const auto& b : batches) {
    out.emplace_back();
    for (const auto& eg : b) out.back().push_back(eg.predicted().size());
  }
  return out;
}

using Shape = std::vector<std::vector<size_t>>;

TEST(Batchers, ByWordsUsesToleranceAndYieldsOversizeAlone) {
  auto egs = examples_of_lengths({3, 3, 3, 10, 2});
  EXPECT_EQ(shape(batch_by_words(constant_size(6), 0.2, false)(egs)),
            (Shape{{3, 3}, {10}, {3, 2}}));
  EXPECT_EQ(shape(batch_by_words(constant_size(6), 0.2, true)(egs)), (Shape{{3, 3}, {3, 2}}));
  // Tolerance lets a batch overflow: 4 + 3 = 7 <= 6 * 1.2 ...
  auto egs2 = examples_of_lengths({4, 3});
  EXPECT_EQ(shape(batch_by_words(constant_size(6), 0.2, false)(egs2)), (Shape{{4, 3}}));
  // ... but a following example that fits neither starts over from the overflow (spaCy's order).
  auto egs3 = examples_of_lengths({4, 3, 5});
  EXPECT_EQ(shape(batch_by_words(constant_size(6), 0.2, false)(egs3)), (Shape{{4}, {3}, {5}}));
}

TEST(Batchers, ByWordsReadsTheScheduleOncePerBatch) {
  auto egs = examples_of_lengths({2, 2, 2, 2, 2, 2});
  SizeSchedule grow = [](int64_t step) { return step == 0 ? 2.0 : 4.0; };
  EXPECT_EQ(shape(batch_by_words(grow, 0.0, false)(egs)), (Shape{{2}, {2, 2}, {2, 2}, {2}}));
}

TEST(Batchers, ByPaddedGroupsByLengthLongestFirst) {
  auto egs = examples_of_lengths({5, 1, 2, 8});
  EXPECT_EQ(shape(batch_by_padded(constant_size(8), 256, false)(egs)), (Shape{{8}, {5}, {1, 2}}));
  EXPECT_EQ(shape(batch_by_padded(constant_size(8), 256, true)(egs)), (Shape{{5}, {1, 2}}));
  EXPECT_THROW(batch_by_padded(constant_size(8), 0, false), ValueError);
}

TEST(Batchers, BySequenceFixedAndScheduledSizes) {
  auto egs = examples_of_lengths({1, 2, 3, 4, 5});
  EXPECT_EQ(shape(batch_by_sequence(constant_size(2))(egs)), (Shape{{1, 2}, {3, 4}, {5}}));
  SizeSchedule s = [](int64_t step) { return step == 0 ? 2.0 : 3.0; };
  EXPECT_EQ(shape(batch_by_sequence(s)(egs)), (Shape{{1, 2}, {3, 4, 5}}));
  EXPECT_THROW(batch_by_sequence(constant_size(0))(egs), ValueError);
}

TEST(Batchers, RegisteredWithScheduleSizes) {
  register_training();
  Json cfg = parse_cfg(
      "[b]\n@batchers = \"spacy.batch_by_words.v1\"\n\n[b.size]\n@schedules = \"compounding.v1\"\n"
      "start = 2\nstop = 4\ncompound = 2.0\n");
  registry::Value v = registry::resolve(cfg);
  Batcher b = v.at("b").as<Batcher>();
  auto egs = examples_of_lengths({2, 2, 2, 2, 2, 2, 2});
  // sizes 2, 4, 4: tolerance 0.2 of 2 adds nothing here.
  EXPECT_EQ(shape(b(egs)), (Shape{{2}, {2, 2}, {2, 2}, {2, 2}}));
  Json bad = parse_cfg("[b]\n@batchers = \"spacy.batch_by_words.v1\"\nsize = \"x\"\n");
  EXPECT_THROW(registry::resolve(bad), Error);
}

// Three docs: one of 6 tokens in two sentences, one of 2 tokens without sentences, one empty.
std::string write_corpus(const TempDir& dir, const std::string& name) {
  Doc a(vocab(), {"A", "b", "c", ".", "D", "e"});
  for (size_t i = 0; i < 6; ++i) a.tokens()[i].sent_start = (i == 0 || i == 4) ? 1 : -1;
  for (size_t i = 0; i < 6; ++i) a[i].set_tag("T" + std::to_string(i));
  Doc b(vocab(), {"x", "y"});
  std::vector<const Doc*> docs{&a, &b};
  std::string path = (dir / name);
  write_docbin(path, docs);
  return path;
}

TEST(Corpus, ReadsFileAndDirectoryWithLimitAndMaxLength) {
  TempDir dir;
  fs::create_directories(dir.path / "sub");
  std::string path = write_corpus(dir, "sub/train.spacy");
  write_corpus(dir, "sub/more.spacy");
  auto nlp = Language::blank("en");
  CorpusOptions o;
  o.path = path;
  auto egs = Corpus{o}(*nlp);
  ASSERT_EQ(egs.size(), 2u);
  EXPECT_EQ(egs[0].reference().size(), 6u);
  EXPECT_EQ(egs[0].reference().token(2).tag_(), "T2");
  EXPECT_EQ(egs[0].predicted().token(2).tag_(), "");  // predicted is unannotated
  o.path = dir.path.string();
  EXPECT_EQ(Corpus{o}(*nlp).size(), 4u);
  EXPECT_EQ(Corpus{o}.files().size(), 2u);
  o.limit = 3;
  EXPECT_EQ(Corpus{o}(*nlp).size(), 3u);
  // max_length 5: the 6-token doc is split into its sentences (4 and 2 tokens).
  o.path = path;
  o.limit = 0;
  o.max_length = 5;
  auto split = Corpus{o}(*nlp);
  ASSERT_EQ(split.size(), 3u);
  EXPECT_EQ(split[0].reference().size(), 4u);
  EXPECT_EQ(split[1].reference().size(), 2u);
  EXPECT_EQ(split[1].reference().token(0).tag_(), "T4");
  // max_length 2: the 6-token doc's sentences are too long (4) or exactly 2 (< 2 fails) -> dropped;
  // the 2-token doc without sentences is skipped.
  o.max_length = 2;
  EXPECT_EQ(Corpus{o}(*nlp).size(), 0u);
  // gold_preproc: one example per sentence.
  o.max_length = 0;
  o.gold_preproc = true;
  EXPECT_EQ(Corpus{o}(*nlp).size(), 3u);
}

TEST(Corpus, BadPathsAndDataAreClearErrors) {
  TempDir dir;
  CorpusOptions o;
  EXPECT_THROW(Corpus(o, {"corpora", "train", "path"}), ConfigError);
  try {
    Corpus(o, {"corpora", "train", "path"});
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("E913"), std::string::npos);
  }
  auto nlp = Language::blank("en");
  o.path = (dir / "missing.spacy");
  EXPECT_THROW(Corpus{o}(*nlp), DataError);
  o.path = dir.path.string();  // no .spacy files
  EXPECT_THROW(Corpus{o}(*nlp), DataError);
  o.path = dir.file("bad.spacy", "not a docbin");
  EXPECT_THROW(Corpus{o}(*nlp), DataError);
}

TEST(Config, CombineScoreWeightsNormalisesAndKeepsNull) {
  Json w = combine_score_weights({Json{{"tag_acc", 1.0}, {"pos_acc", 0.0}},
                                  Json{{"ents_f", 1.0}, {"ents_p", 0.0}, {"ents_per_type", nullptr}}});
  EXPECT_DOUBLE_EQ(w["tag_acc"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(w["ents_f"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(w["pos_acc"].get<double>(), 0.0);
  EXPECT_TRUE(w["ents_per_type"].is_null());
  Json o = combine_score_weights({Json{{"tag_acc", 1.0}}, Json{{"ents_f", 1.0}}},
                                 Json{{"ents_f", 3.0}});
  EXPECT_DOUBLE_EQ(o["tag_acc"].get<double>(), 0.25);
  EXPECT_DOUBLE_EQ(o["ents_f"].get<double>(), 0.75);
}

TEST(Config, FillConfigAddsSpacyDefaultsAndFactoryDefaults) {
  register_training();
  Json cfg = parse_cfg(
      "[nlp]\nlang = \"en\"\npipeline = [\"tagger\"]\n\n[components]\n\n[components.tagger]\n"
      "factory = \"tagger\"\n\n[training]\nmax_steps = 7\n");
  Json f = fill_config(cfg);
  EXPECT_EQ(f["training"]["max_steps"], 7);
  EXPECT_EQ(f["training"]["patience"], 1600);
  EXPECT_EQ(f["training"]["optimizer"]["@optimizers"], "Adam.v1");
  EXPECT_EQ(f["corpora"]["train"]["path"], "${paths.train}");
  EXPECT_EQ(f["components"]["tagger"]["model"]["@architectures"], "spacy.Tagger.v2");
  EXPECT_DOUBLE_EQ(f["training"]["score_weights"]["tag_acc"].get<double>(), 1.0);
  Json bad = parse_cfg(
      "[nlp]\nlang = \"en\"\npipeline = [\"x\"]\n\n[components]\n\n[components.x]\nfactory = \"nope\"\n");
  try {
    fill_config(bad);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos);
  }
}

// A tiny tagger config over the two-doc corpus.
std::string tiny_config(const std::string& train, const std::string& dev, int max_steps) {
  return "[paths]\ntrain = \"" + train + "\"\ndev = \"" + dev +
         "\"\n\n[system]\nseed = 7\n\n[nlp]\nlang = \"en\"\npipeline = [\"tagger\"]\n\n"
         "[components]\n\n[components.tagger]\nfactory = \"tagger\"\n\n"
         "[components.tagger.model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
         "[components.tagger.model.tok2vec]\n@architectures = \"spacy.HashEmbedCNN.v2\"\n"
         "pretrained_vectors = null\nwidth = 16\ndepth = 1\nembed_size = 100\nwindow_size = 1\n"
         "maxout_pieces = 2\nsubword_features = true\n\n"
         "[training]\nmax_steps = " + std::to_string(max_steps) +
         "\neval_frequency = 2\ndropout = 0.1\n\n[training.batcher]\n"
         "@batchers = \"spacy.batch_by_sequence.v1\"\nsize = 1\n";
}

std::string train_once(const TempDir& dir, const std::string& out_name, int max_steps,
                       std::string* table = nullptr) {
  std::string data = write_corpus(dir, "data.spacy");
  Json raw = parse_cfg(tiny_config(data, data, max_steps));
  auto nlp = init_nlp(raw);
  std::ostringstream out, err;
  TrainOptions o;
  o.output_path = (dir / out_name);
  o.out = &out;
  o.err = &err;
  std::string last = train(*nlp, o);
  if (table) *table = out.str();
  return last;
}

TEST(TrainLoop, SameSeedGivesIdenticalWeightsAndTable) {
  TempDir dir;
  std::string t1, t2;
  std::string a = train_once(dir, "a", 6, &t1);
  std::string b = train_once(dir, "b", 6, &t2);
  ASSERT_TRUE(fs::exists(fs::path(a) / "tagger" / "model"));
  EXPECT_EQ(testing::read_all((fs::path(a) / "tagger" / "model").string()),
            testing::read_all((fs::path(b) / "tagger" / "model").string()));
  EXPECT_EQ(t1.substr(0, t1.find("\u2714")), t2.substr(0, t2.find("\u2714")));
  // The table: header, rule, rows at steps 0, 2, 4, 6.
  EXPECT_NE(t1.find("E    #       LOSS TAGGER  TAG_ACC"), std::string::npos) << t1;
  EXPECT_NE(t1.find("\u2139 Pipeline: ['tagger']"), std::string::npos);
  size_t rows = 0;
  std::istringstream lines(t1);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > 3 && line[0] == ' ' && std::isdigit(static_cast<unsigned char>(line[2])))
      ++rows;
  EXPECT_EQ(rows, 4u) << t1;
  EXPECT_TRUE(fs::exists(dir.path / "a" / "model-best" / "config.cfg"));
  auto best = Language::load((dir.path / "a" / "model-best").string());
  EXPECT_EQ(best->pipe_names(), std::vector<std::string>{"tagger"});
  Json meta = best->meta();
  EXPECT_TRUE(meta.contains("performance"));
}

TEST(TrainLoop, TrainingLearnsTheTinyCorpus) {
  TempDir dir;
  std::string last = train_once(dir, "out", 40);
  auto nlp = Language::load(last);
  CorpusOptions co;
  co.path = (dir / "data.spacy");
  Json s = evaluate(*nlp, Corpus{co}(*nlp));
  EXPECT_GT(s["tag_acc"].get<double>(), 0.5) << s.dump();
}

TEST(TrainLoop, ConfigErrorsNameThePath) {
  TempDir dir;
  std::string data = write_corpus(dir, "data.spacy");
  Json raw = parse_cfg(tiny_config(data, data, 2));
  raw["training"]["frozen_components"] = Json::array({"nope"});
  try {
    init_nlp(raw);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("frozen_components"), std::string::npos) << e.what();
  }
  Json raw2 = parse_cfg(tiny_config(data, data, 2));
  raw2["paths"]["train"] = nullptr;
  EXPECT_THROW(init_nlp(raw2), ConfigError);
  Json raw3 = parse_cfg(tiny_config(data, data, 2));
  raw3["training"]["before_to_disk"] = "x";
  EXPECT_THROW(init_nlp(raw3), ConfigError);
}

TEST(TrainLoop, ConsoleLoggerV3WritesOneJsonLinePerEvaluation) {
  TempDir dir;
  std::string data = write_corpus(dir, "data.spacy");
  Json raw = parse_cfg(tiny_config(data, data, 4));
  const std::string log = dir / "logs/train.jsonl";  // the folder is made as spaCy does
  raw["training"]["logger"] = Json{{"@loggers", "spacy.ConsoleLogger.v3"}, {"progress_bar", "train"},
                                   {"console_output", false}, {"output_file", log}};
  auto nlp = init_nlp(raw);
  std::ostringstream out, err;
  TrainOptions o;
  o.out = &out;
  o.err = &err;
  train(*nlp, o);
  EXPECT_NE(out.str().find("Saving results to " + log), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("LOSS TAGGER"), std::string::npos) << out.str();  // console_output false
  std::ifstream f(log);
  std::vector<Json> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(Json::parse(line));
  ASSERT_EQ(lines.size(), 3u);  // steps 0, 2, 4
  EXPECT_EQ(lines[1]["step"], 2);
  EXPECT_TRUE(lines[1]["epoch"].is_number_integer());
  EXPECT_TRUE(lines[1]["losses"].contains("tagger"));
  EXPECT_TRUE(lines[1]["scores"].contains("tag_acc"));
  EXPECT_LE(lines[1]["scores"]["tag_acc"].get<double>(), 100.0);
  EXPECT_TRUE(lines[1]["score"].is_number());
  // An existing file is kept and logging disabled, as spaCy does.
  auto again = init_nlp(raw);
  std::ostringstream out2;
  o.out = &out2;
  train(*again, o);
  EXPECT_NE(out2.str().find("Saving logs is disabled"), std::string::npos) << out2.str();
  std::ifstream f2(log);
  size_t n = 0;
  for (std::string line; std::getline(f2, line);) ++n;
  EXPECT_EQ(n, 3u);
  // progress_bar must be "train", "eval" or null.
  raw["training"]["logger"]["progress_bar"] = "always";
  try {
    init_nlp(raw);
    FAIL() << "progress_bar \"always\" accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("progress_bar"), std::string::npos) << e.what();
  }
}

TEST(TrainLoop, CorpusAugmenterIsDeterministicUnderTheSeed) {
  TempDir dir;
  std::string data = write_corpus(dir, "data.spacy");
  auto train_texts = [&](int seed) {
    Json raw = parse_cfg(tiny_config(data, data, 2));
    raw["system"]["seed"] = seed;
    raw["corpora"] = Json{{"train", {{"@readers", "spacy.Corpus.v1"}, {"path", data},
                                     {"augmenter", {{"@augmenters", "spacy.lower_case.v1"}, {"level", 0.5}}}}},
                          {"dev", {{"@readers", "spacy.Corpus.v1"}, {"path", data}}}};
    auto nlp = init_nlp(raw);
    std::vector<std::string> texts;
    for (int round = 0; round < 8; ++round)
      for (const Example& eg : resolve_corpora(interpolate(fill_config(raw))).first(*nlp))
        texts.push_back(eg.reference().text());
    return texts;
  };
  const auto a = train_texts(3), b = train_texts(3);
  EXPECT_EQ(a, b);
  size_t lowered = 0;
  for (const auto& t : a) lowered += t.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos;
  EXPECT_GT(lowered, 0u);
  EXPECT_LT(lowered, a.size());
}

}  // namespace
}  // namespace trfpipe
