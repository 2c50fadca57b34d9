#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "components/register.hpp"
#include "components/sentencizer/sentencizer.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

using namespace trfpipe;

namespace {

std::vector<std::string> sent_texts(Doc& doc) {
  std::vector<std::string> out;
  for (const Span& s : doc.sents()) out.emplace_back(s.text());
  return out;
}

std::unique_ptr<Language> nlp_with_sentencizer(const Json& config = Json::object()) {
  register_components();
  auto nlp = Language::blank("en");
  nlp->add_pipe("sentencizer", "", config);
  return nlp;
}

}  // namespace

TEST(Sentencizer, DefaultPunctCharsAreSpacys) {
  const auto& chars = Sentencizer::default_punct_chars();
  ASSERT_EQ(chars.size(), 128u);
  EXPECT_EQ(chars[0], "!");
  EXPECT_EQ(chars[1], ".");
  EXPECT_EQ(chars[2], "?");
  EXPECT_EQ(chars[3], "\u0589");          // Armenian full stop
  EXPECT_EQ(chars[126], "\uFF61");        // halfwidth ideographic full stop
  EXPECT_EQ(chars[127], "\u3002");        // ideographic full stop
  EXPECT_EQ(chars[124], "\U0001BC9F");    // Duployan punctuation chinook full stop
}

TEST(Sentencizer, SplitsAfterPunctuationRuns) {
  auto nlp = nlp_with_sentencizer();
  // "..." is one token that is punctuation but not a punct char: no boundary after it (spaCy).
  Doc doc = (*nlp)("Hello world. How are you?! I'm fine... \"Really.\" Yes");
  EXPECT_EQ(sent_texts(doc),
            (std::vector<std::string>{"Hello world.", "How are you?!",
                                      "I'm fine... \"Really.\"", "Yes"}));
  EXPECT_EQ(doc[0].is_sent_start(), std::optional<bool>(true));
  EXPECT_EQ(doc[1].is_sent_start(), std::optional<bool>(false));
}

TEST(Sentencizer, NoPunctuationIsOneSentenceAndEmptyDocWorks) {
  auto nlp = nlp_with_sentencizer();
  Doc doc = (*nlp)("no punctuation here at all");
  EXPECT_EQ(doc.sents().size(), 1u);
  Doc empty = (*nlp)("");
  EXPECT_EQ(empty.sents().size(), 0u);
  Doc cjk = (*nlp)("今日は。明日も");
  EXPECT_GE(cjk.sents().size(), 1u);
}

TEST(Sentencizer, CustomPunctChars) {
  auto nlp = nlp_with_sentencizer({{"punct_chars", {";"}}});
  Doc doc = (*nlp)("one ; two. three");
  EXPECT_EQ(sent_texts(doc), (std::vector<std::string>{"one ;", "two. three"}));
  auto& s = static_cast<Sentencizer&>(nlp->get_pipe("sentencizer"));
  EXPECT_EQ(s.punct_chars(), std::vector<std::string>{";"});
}

TEST(Sentencizer, KeepsExistingBoundariesUnlessOverwrite) {
  for (bool overwrite : {false, true}) {
    auto nlp = nlp_with_sentencizer({{"overwrite", overwrite}});
    Doc doc = nlp->make_doc("aa bb. cc dd");
    doc[1].set_is_sent_start(true);
    nlp->get_pipe("sentencizer")(doc);
    EXPECT_EQ(doc[1].is_sent_start(), std::optional<bool>(!overwrite)) << overwrite;
    EXPECT_EQ(doc[3].is_sent_start(), std::optional<bool>(true));
  }
}

TEST(Sentencizer, ConfigHasSpacysDefaults) {
  auto nlp = nlp_with_sentencizer();
  Json block = nlp->config()["components"]["sentencizer"];
  EXPECT_EQ(block["factory"], "sentencizer");
  EXPECT_TRUE(block["punct_chars"].is_null());
  EXPECT_EQ(block["overwrite"], false);
  EXPECT_EQ(block["scorer"]["@scorers"], "spacy.senter_scorer.v1");
}

TEST(Sentencizer, BadConfigIsConfigError) {
  register_components();
  auto nlp = Language::blank("en");
  EXPECT_THROW(nlp->add_pipe("sentencizer", "", {{"overwrite", "yes"}}), ConfigError);
  EXPECT_THROW(nlp->add_pipe("sentencizer", "", {{"punct_chars", 3}}), ConfigError);
  EXPECT_THROW(nlp->add_pipe("sentencizer", "", {{"bogus", 1}}), ConfigError);
  EXPECT_FALSE(nlp->has_pipe("sentencizer"));
}

TEST(Sentencizer, DiskRoundTripAndMissingFile) {
  auto dir = std::filesystem::temp_directory_path() /
             ("sentencizer_test_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Sentencizer a("s", {"|", "!"}, true);
  a.to_disk((dir / "s").string());
  EXPECT_TRUE(std::filesystem::exists(dir / "s.json"));
  Sentencizer b("s");
  b.from_disk((dir / "s").string());
  EXPECT_EQ(b.punct_chars(), (std::vector<std::string>{"|", "!"}));
  EXPECT_TRUE(b.overwrite());
  EXPECT_THROW(b.from_disk((dir / "missing").string()), DataError);
  std::ofstream(dir / "bad.json") << "{not json";
  EXPECT_THROW(b.from_disk((dir / "bad").string()), DataError);
  std::filesystem::remove_all(dir);
}

TEST(Sentencizer, RegisterComponentsIsIdempotent) {
  register_components();
  register_components();
  EXPECT_TRUE(has_factory("sentencizer"));
}

TEST(Sentencizer, PipelineRoundTripThroughDisk) {
  auto nlp = nlp_with_sentencizer({{"punct_chars", {".", ";"}}});
  auto dir = std::filesystem::temp_directory_path() /
             ("sentencizer_pipeline_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  nlp->to_disk(dir.string());
  EXPECT_TRUE(std::filesystem::exists(dir / "sentencizer.json"));
  auto loaded = Language::load(dir.string());
  EXPECT_EQ(loaded->pipe_names(), std::vector<std::string>{"sentencizer"});
  EXPECT_EQ(nlohmann::json(loaded->config()), nlohmann::json(nlp->config()));
  for (const char* text : {"One; two. Three", "No boundary here", "A. B. C."}) {
    Doc a = (*nlp)(text);
    Doc b = (*loaded)(text);
    EXPECT_EQ(a.to_json(), b.to_json()) << text;
    EXPECT_TRUE(b.to_json().contains("sents"));
  }
  std::filesystem::remove_all(dir);
}
