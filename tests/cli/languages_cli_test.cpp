// Languages: blank:xx (spaCy's MultiLanguage rules), an unknown language refused by `init config`
// with the known ones listed, and a language registered by a plugin (tests/language_plugin.cmake).
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::TempDir;

namespace {

// The token texts `trfpipe apply MODEL` gives `text`; extra arguments go after the files.
std::vector<std::string> tokens_of(const std::string& model, const std::string& text,
                                   const std::vector<std::string>& extra = {}) {
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", nlohmann::json{{"text", text}}.dump() + "\n");
  std::vector<std::string> args{"apply", model, in, tmp / "out.jsonl"};
  args.insert(args.end(), extra.begin(), extra.end());
  RunResult r = run_cli(args);
  EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
  std::ifstream f(tmp / "out.jsonl");
  std::string line;
  std::getline(f, line);
  std::vector<std::string> out;
  if (line.empty()) return out;
  const nlohmann::json doc = nlohmann::json::parse(line);
  const std::string t = doc["text"];
  for (const auto& tok : doc["tokens"]) {
    const size_t start = tok["start"], end = tok["end"];  // ASCII texts: characters = bytes
    out.push_back(t.substr(start, end - start));
  }
  return out;
}

using Tokens = std::vector<std::string>;

TEST(LanguagesCli, MultiLanguageUsesTheSharedRulesWithoutEnglishExceptions) {
  // English splits "can't" (exception) and "3-fold" (its hyphen infix also follows digits);
  // spaCy's xx has only the base exceptions and punctuation.
  EXPECT_EQ(tokens_of("blank:en", "I can't do 3-fold :) work."),
            (Tokens{"I", "ca", "n't", "do", "3", "-", "fold", ":)", "work", "."}));
  EXPECT_EQ(tokens_of("blank:xx", "I can't do 3-fold :) work."),
            (Tokens{"I", "can't", "do", "3-fold", ":)", "work", "."}));
}

TEST(LanguagesCli, GermanIsBuiltIn) {
  // spaCy's German exceptions and infixes (spacy/tests/lang/de/test_exceptions.py).
  EXPECT_EQ(tokens_of("blank:de", "Ich bin z.Zt. im Urlaub, auf'm Ost-West-Kurs."),
            (Tokens{"Ich", "bin", "z.Zt.", "im", "Urlaub", ",", "auf", "'m", "Ost-West-Kurs", "."}));
}

TEST(LanguagesCli, InitConfigRefusesAnUnknownLanguageNamingTheKnownOnes) {
  TempDir tmp;
  RunResult r = run_cli({"init", "config", tmp / "c.cfg", "-l", "qq", "-p", "tagger"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  const std::string all = r.out + r.err;
  EXPECT_NE(all.find("Can't find language 'qq'"), std::string::npos) << all;
  EXPECT_NE(all.find("de, en, xx"), std::string::npos) << all;
  EXPECT_FALSE(std::filesystem::exists(tmp / "c.cfg"));
  // A known one is fine, and the config names it.
  RunResult ok = run_cli({"init", "config", tmp / "xx.cfg", "-l", "xx", "-p", "tagger"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  std::ifstream f(tmp / "xx.cfg");
  std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("lang = \"xx\""), std::string::npos) << text;
}

TEST(LanguagesCli, APluginRegistersALanguageWithItsExceptionsAndRules) {
  const std::string plugin = TRFPIPE_LANGUAGE_PLUGIN;
  EXPECT_EQ(tokens_of("blank:zz", "Ein z.B. a~c!", {"--code", plugin}),
            (Tokens{"Ein", "z.", "B.", "a", "~", "c", "!"}));
  // Without the plugin the language is unknown, and the error lists what is known.
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", "{\"text\": \"x\"}\n");
  RunResult r = run_cli({"apply", "blank:zz", in, tmp / "out.jsonl"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE((r.out + r.err).find("Can't find language 'zz'"), std::string::npos) << r.out << r.err;
  RunResult cfg = run_cli({"init", "config", tmp / "zz.cfg", "-l", "zz", "-p", "tagger", "--code", plugin});
  EXPECT_EQ(cfg.exit_code, 0) << cfg.out << cfg.err;
}

}  // namespace
