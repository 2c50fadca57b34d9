// What the real project configs of ../shared/data/configs need beyond spaCy's own functions
// (docs/configs.md): ml_datasets' IMDB reader (a [corpora] block that is itself a reader),
// spacy-experimental's char_pretokenizer, spacy.LookupsDataLoader.v1 (validates, refused at
// initialization), and spaCy's E985/E993 for configs without a language.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

std::string read(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The textcat benchmark's layout: [corpora] is the reader, [training] names its splits.
const char* kImdbConfig = R"([paths]
corpus = null

[nlp]
lang = "en"
pipeline = ["textcat"]

[components]

[components.textcat]
factory = "textcat"

[components.textcat.model]
@architectures = "spacy.TextCatBOW.v1"
exclusive_classes = true
ngram_size = 1
no_output_layer = false

[corpora]
@readers = "ml_datasets.imdb_sentiment.v1"
path = ${paths.corpus}
train_limit = 0
dev_limit = 3

[training]
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"
max_steps = 2

[initialize]
vectors = null
)";

}  // namespace

TEST(ProjectConfigsCli, ImdbReaderReadsTheAclImdbLayoutWhenReadOnly) {
  TempDir tmp;
  const std::string cfg = tmp.file("imdb.cfg", kImdbConfig);
  // Validating makes the readers without reading: no data needed.
  RunResult check = run_cli({"debug", "config", cfg});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  // Reading without a folder names the data it needs.
  RunResult none = run_cli({"init", "labels", cfg, tmp / "labels0"});
  EXPECT_EQ(none.exit_code, 1) << none.out << none.err;
  EXPECT_TRUE(contains(none.out + none.err, "corpora -> path")) << none.out << none.err;
  EXPECT_TRUE(contains(none.out + none.err, "aclImdb_v1.tar.gz")) << none.out << none.err;
  // A folder in another layout names the folder it looked for.
  fs::create_directories(tmp.path / "bad" / "train" / "pos");
  RunResult bad = run_cli({"init", "labels", cfg, tmp / "labels1", "--paths.corpus", tmp / "bad"});
  EXPECT_EQ(bad.exit_code, 1) << bad.out << bad.err;
  EXPECT_TRUE(contains(bad.out + bad.err, (tmp.path / "bad" / "train" / "neg").string()))
      << bad.out << bad.err;
  // The layout: pos/neg reviews; "<br />" is a paragraph break, a blank review is skipped.
  const fs::path imdb = tmp.path / "aclImdb";
  int n = 0;
  for (const char* split : {"train", "test"})
    for (const char* label : {"pos", "neg"}) {
      fs::create_directories(imdb / split / label);
      for (int i = 0; i < 2; ++i, ++n)
        std::ofstream(imdb / split / label / (std::to_string(n) + "_8.txt"))
            << "A " << label << " review.<br />Number " << n << ".";
    }
  std::ofstream(imdb / "train" / "neg" / "99_1.txt") << "  \n";
  RunResult labels = run_cli({"init", "labels", cfg, tmp / "labels", "--paths.corpus", imdb});
  ASSERT_EQ(labels.exit_code, 0) << labels.out << labels.err;
  const auto textcat = nlohmann::json::parse(read((tmp.path / "labels" / "textcat.json").string()));
  // In the order the examples' cats name them (ml_datasets: pos, neg), as spaCy's add_label.
  EXPECT_EQ(textcat, (nlohmann::json{"pos", "neg"})) << textcat.dump();
  // debug data reads both splits: the 4 non-blank train reviews, dev_limit = 3 of the 4 test ones.
  RunResult data = run_cli({"debug", "data", cfg, "--paths.corpus", imdb});
  ASSERT_EQ(data.exit_code, 0) << data.out << data.err;
  EXPECT_TRUE(contains(data.out, "4 training docs")) << data.out;
  EXPECT_TRUE(contains(data.out, "3 evaluation docs")) << data.out;
  // And it trains.
  RunResult train = run_cli({"train", cfg, "--output", tmp / "out", "--paths.corpus", imdb});
  EXPECT_EQ(train.exit_code, 0) << train.out << train.err;
  EXPECT_TRUE(fs::exists(tmp.path / "out" / "model-last" / "textcat" / "model"));
}

TEST(ProjectConfigsCli, CharPretokenizerMakesOneTokenPerCharacterAndIsSaved) {
  TempDir tmp;
  const std::string cfg = tmp.file("chars.cfg", R"([nlp]
lang = "en"
pipeline = ["sentencizer"]
tokenizer = {"@tokenizers":"spacy-experimental.char_pretokenizer.v1"}

[components]

[components.sentencizer]
factory = "sentencizer"
)");
  RunResult a = run_cli({"assemble", cfg, tmp / "pipe"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_TRUE(contains(read((tmp.path / "pipe" / "config.cfg").string()), "spacy-experimental.char_pretokenizer.v1"));
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"Zoë a.\"}\n");
  RunResult r = run_cli({"apply", tmp / "pipe", in, tmp / "out.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const auto doc = nlohmann::json::parse(read(tmp / "out.jsonl"));
  // One token per code point (offsets count characters), the space included: spaCy's
  // list(text) with spaces all False.
  ASSERT_EQ(doc["tokens"].size(), 6u) << doc.dump();
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(doc["tokens"][i]["start"], i) << doc.dump();
    EXPECT_EQ(doc["tokens"][i]["end"], i + 1) << doc.dump();
  }
}

TEST(ProjectConfigsCli, LookupsValidateButInitializingNamesTheMissingTables) {
  TempDir tmp;
  const std::string cfg = tmp.file("lookups.cfg", R"([nlp]
lang = "en"
pipeline = ["sentencizer"]

[components]

[components.sentencizer]
factory = "sentencizer"

[corpora]

[corpora.train]
@readers = "spacy.JsonlCorpus.v1"
path = "texts.jsonl"

[corpora.dev]
@readers = "spacy.JsonlCorpus.v1"
path = "texts.jsonl"

[initialize]

[initialize.lookups]
@misc = "spacy.LookupsDataLoader.v1"
lang = ${nlp.lang}
tables = ["lexeme_norm"]
)");
  RunResult check = run_cli({"debug", "config", cfg});
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  RunResult a = run_cli({"assemble", cfg, tmp / "pipe"});
  EXPECT_EQ(a.exit_code, 1) << a.out << a.err;
  const std::string all = a.out + a.err;
  EXPECT_TRUE(contains(all, "initialize -> lookups")) << all;
  EXPECT_TRUE(contains(all, "lexeme_norm for language 'en' in spacy-lookups-data")) << all;
}

TEST(ProjectConfigsCli, ConfigsWithoutALanguageFailLikeSpacy) {
  TempDir tmp;
  const std::string no_lang = tmp.file("a.cfg", "[nlp]\nlang = null\npipeline = []\n");
  const std::string no_nlp = tmp.file("b.cfg", "[paths]\ntrain = null\n");
  const std::string unknown = tmp.file("c.cfg", "[nlp]\nlang = \"qq\"\npipeline = []\n");
  for (const auto& [cfg, expected] :
       std::vector<std::pair<std::string, std::string>>{{no_lang, "[E993]"},
                                                        {no_nlp, "[E985]"},
                                                        {unknown, "[E048] Can't find language 'qq'"}}) {
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"debug", "config", cfg},
          std::vector<std::string>{"init", "fill-config", cfg, tmp / "filled.cfg"}}) {
      RunResult r = run_cli(args);
      EXPECT_EQ(r.exit_code, 1) << args[0] << " " << args[1] << " " << cfg << r.out << r.err;
      EXPECT_TRUE(contains(r.out + r.err, expected)) << args[1] << " " << cfg << r.out << r.err;
    }
  }
}
