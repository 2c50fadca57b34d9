// examples/custom_component (the keyword_matcher plugin) through the real CLI: assemble its
// config.cfg, apply the saved pipeline, the component's settings and its error messages. The
// plugin is built in-tree from the example's source (tests/custom_component.cmake); the test of
// the example built against an installed trfpipe is tests/custom_component_test.sh.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_test_support.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::keyword_matcher_config;
using trfpipe::testing::TempDir;
using trfpipe::testing::run_cli;
using Json = nlohmann::ordered_json;

namespace {

const std::string& kPlugin = trfpipe::testing::kExamplePlugin;
const std::string& kExample = trfpipe::testing::kExamplePluginDir;

std::vector<Json> read_docs(const std::string& path) {
  std::ifstream in(path);
  std::vector<Json> docs;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) docs.push_back(Json::parse(line));
  return docs;
}

// [[start, end, label], ...] in characters, from a Doc JSON.
std::vector<std::tuple<int, int, std::string>> ents(const Json& doc) {
  std::vector<std::tuple<int, int, std::string>> out;
  for (const auto& e : doc.value("ents", Json::array()))
    out.emplace_back(e["start"].get<int>(), e["end"].get<int>(), e["label"].get<std::string>());
  return out;
}

using Ents = std::vector<std::tuple<int, int, std::string>>;

}  // namespace

TEST(KeywordMatcherPlugin, ExampleConfigAssemblesAndAppliesWithoutThePatternFile) {
  TempDir tmp;
  // The pattern file is read once, at assemble time; the saved pipeline keeps the patterns.
  fs::copy_file(kExample + "/patterns.jsonl", tmp / "patterns.jsonl");
  const std::string pipe = tmp / "pipe";
  auto a = run_cli({"assemble", kExample + "/config.cfg", pipe, "--code", kPlugin,
                    "--paths.patterns", tmp / "patterns.jsonl"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  fs::remove(tmp / "patterns.jsonl");
  ASSERT_TRUE(fs::exists(pipe + "/keywords/patterns.jsonl"));

  const std::string out = tmp / "out.jsonl";
  auto r = run_cli({"apply", pipe, kExample + "/texts.jsonl", out, "--code", kPlugin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto docs = read_docs(out);
  ASSERT_EQ(docs.size(), 3u);
  // Longest match wins; ignore_case = true matches "ACME" and "new york".
  EXPECT_EQ(ents(docs[0]), (Ents{{0, 16, "ORG"}, {37, 50, "GPE"}}));
  EXPECT_EQ(ents(docs[1]),
            (Ents{{0, 14, "PERSON"}, {30, 46, "PRODUCT"}, {52, 56, "ORG"}, {60, 68, "GPE"}}));
  EXPECT_EQ(ents(docs[2]), Ents{});
}

TEST(KeywordMatcherPlugin, ApplyWithoutCodeNamesTheMissingFactory) {
  TempDir tmp;
  const std::string pipe = tmp / "pipe";
  auto a = run_cli({"assemble", kExample + "/config.cfg", pipe, "--code", kPlugin,
                    "--paths.patterns", kExample + "/patterns.jsonl"});
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string out = tmp / "out.jsonl";
  auto r = run_cli({"apply", pipe, kExample + "/texts.jsonl", out});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("Can't find factory 'keyword_matcher'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Available factories:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sentencizer"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

// Two matchers: the first marks "New York" as ORG, the second knows "New York City" as GPE.
std::string two_matchers(bool overwrite) {
  return std::string(R"([nlp]
lang = "en"
pipeline = ["first", "second"]

[components]

[components.first]
factory = "keyword_matcher"
patterns = [{"label": "ORG", "phrase": "New York"}]

[components.second]
factory = "keyword_matcher"
patterns = [{"label": "GPE", "phrase": "New York City"}, {"label": "GPE", "phrase": "Boston"}]
overwrite = )") + (overwrite ? "true" : "false") + "\n";
}

Ents run_two_matchers(bool overwrite) {
  TempDir tmp;
  tmp.file("config.cfg", two_matchers(overwrite));
  tmp.file("in.jsonl", "{\"text\": \"From New York City to Boston.\"}\n");
  auto a = run_cli({"assemble", tmp / "config.cfg", tmp / "pipe", "--code", kPlugin});
  EXPECT_EQ(a.exit_code, 0) << a.err;
  auto r = run_cli({"apply", tmp / "pipe", tmp / "in.jsonl", tmp / "out.jsonl", "--code", kPlugin});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto docs = read_docs(tmp / "out.jsonl");
  return docs.size() == 1 ? ents(docs[0]) : Ents{{-1, -1, "no output"}};
}

TEST(KeywordMatcherPlugin, KeepsEarlierEntitiesUnlessOverwrite) {
  EXPECT_EQ(run_two_matchers(false), (Ents{{5, 13, "ORG"}, {22, 28, "GPE"}}));
}

TEST(KeywordMatcherPlugin, OverwriteReplacesOverlappingEntities) {
  EXPECT_EQ(run_two_matchers(true), (Ents{{5, 18, "GPE"}, {22, 28, "GPE"}}));
}

TEST(KeywordMatcherPlugin, CaseSensitiveWhenIgnoreCaseIsFalse) {
  TempDir tmp;
  tmp.file("config.cfg", keyword_matcher_config(R"(patterns = [{"label": "ORG", "phrase": "Acme"}]
ignore_case = false
)"));
  tmp.file("in.jsonl", "{\"text\": \"ACME and Acme\"}\n");
  ASSERT_EQ(run_cli({"assemble", tmp / "config.cfg", tmp / "pipe", "-c", kPlugin}).exit_code, 0);
  auto r = run_cli({"apply", tmp / "pipe", tmp / "in.jsonl", tmp / "out.jsonl", "-c", kPlugin});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto docs = read_docs(tmp / "out.jsonl");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(ents(docs[0]), (Ents{{9, 13, "ORG"}}));
}

TEST(KeywordMatcherPlugin, PatternWithoutPhraseIsAConfigErrorNamingThePath) {
  TempDir tmp;
  tmp.file("config.cfg", keyword_matcher_config(R"(patterns = [{"label": "ORG"}]
)"));
  auto r = run_cli({"assemble", tmp / "config.cfg", tmp / "pipe", "--code", kPlugin});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("components -> keywords -> patterns"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"phrase\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "pipe"));
}

TEST(KeywordMatcherPlugin, NonBooleanSettingIsAConfigError) {
  TempDir tmp;
  tmp.file("config.cfg", keyword_matcher_config(R"(overwrite = "yes"
)"));
  auto r = run_cli({"assemble", tmp / "config.cfg", tmp / "pipe", "--code", kPlugin});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("components -> keywords -> overwrite"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "pipe"));
}

TEST(KeywordMatcherPlugin, BadLineInPatternFileIsNamed) {
  TempDir tmp;
  const std::string patterns = tmp.file("bad.jsonl",
                                        "{\"label\": \"ORG\", \"phrase\": \"Acme\"}\n"
                                        "{\"label\": \"ORG\", \"phrase\": \n");
  auto r = run_cli({"assemble", kExample + "/config.cfg", tmp / "pipe", "--code", kPlugin,
                    "--paths.patterns", patterns});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(patterns + ":2: invalid JSON"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "pipe"));
}

TEST(KeywordMatcherPlugin, MissingPatternFileIsNamed) {
  TempDir tmp;
  auto r = run_cli({"assemble", kExample + "/config.cfg", tmp / "pipe", "--code", kPlugin,
                    "--paths.patterns", tmp / "absent.jsonl"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(tmp / "absent.jsonl"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "pipe"));
}

TEST(KeywordMatcherPlugin, CorruptSavedPatternsAreADataError) {
  TempDir tmp;
  tmp.file("config.cfg", keyword_matcher_config(R"(patterns = [{"label": "ORG", "phrase": "Acme"}]
)"));
  tmp.file("in.jsonl", "{\"text\": \"Acme\"}\n");
  ASSERT_EQ(run_cli({"assemble", tmp / "config.cfg", tmp / "pipe", "--code", kPlugin}).exit_code, 0);
  std::ofstream(tmp / "pipe/keywords/patterns.jsonl", std::ios::trunc) << "{\"phrase\": \"Acme\"}\n";
  auto r = run_cli({"apply", tmp / "pipe", tmp / "in.jsonl", tmp / "out.jsonl", "--code", kPlugin});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("patterns.jsonl:1:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\"label\""), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "out.jsonl"));
}
