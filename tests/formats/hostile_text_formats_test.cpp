// Hostile text formats (issue #19): convert's NER/IOB detection on lines of 100k characters (it
// used std::regex, which recursed per character), deeply nested JSON lines, and the detection
// scan agreeing with spaCy's regexes on many random short lines.
#include <gtest/gtest.h>

#include <random>
#include <regex>

#include "data_test_util.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;

namespace {

// What detection decided for `text`: "ner", "iob" or "" (undecided), read from two extensions
// whose defaults differ when it is undecided.
std::string guess(const TempDir& tmp, const std::string& text) {
  ConvertOptions auto_options;
  const std::string as_iob = detect_converter(tmp.file("t.iob", text), auto_options);
  const std::string as_ner = detect_converter(tmp.file("t.ner", text), auto_options);
  return as_iob == as_ner ? as_iob : "";
}

TEST(ConvertDetectionHostile, LongLinesDoNotOverflowTheStack) {
  TempDir tmp;
  for (size_t n : {40000u, 100000u, 2000000u}) {
    EXPECT_EQ(guess(tmp, std::string(n, 'x') + " O\n"), "ner") << n;
    EXPECT_EQ(guess(tmp, std::string(n, 'x') + "|B-PER\n"), "iob") << n;
    EXPECT_EQ(guess(tmp, std::string(n, ' ') + "\n" + std::string(n, '|') + "\n"), "") << n;
  }
  // Also when the converter is named (spaCy's --converter ner still detects).
  ConvertOptions ner;
  ner.converter = "ner";
  EXPECT_EQ(detect_converter(tmp.file("long.txt", std::string(100000, 'a') + "\tI-LOC\n"), ner), "ner");
}

TEST(ConvertDetectionHostile, ScanAgreesWithSpacysRegexesOnRandomLines) {
  // spaCy's autodetect_ner_format regexes, run with std::regex on short lines only.
  const std::regex iob_re(R"(\S+\|(O|[IB]-\S+))");
  const std::regex ner_re(R"(\S+\s+(O|[IB]-\S+)$)");
  const std::string alphabet = "ab|OIB- \tx";
  std::mt19937 rng(19);
  TempDir tmp;
  int checked = 0;
  for (int k = 0; k < 400; ++k) {
    std::string line;
    const size_t len = 1 + rng() % 10;
    for (size_t i = 0; i < len; ++i) line += alphabet[rng() % alphabet.size()];
    // detection strips the line first (spaCy: line.strip())
    size_t b = line.find_first_not_of(" \t"), e = line.find_last_not_of(" \t");
    const std::string s = b == std::string::npos ? "" : line.substr(b, e - b + 1);
    const bool iob = std::regex_search(s, iob_re), ner = std::regex_search(s, ner_re);
    const std::string expect = iob == ner ? "" : iob ? "iob" : "ner";
    EXPECT_EQ(guess(tmp, line + "\n"), expect) << "line '" << line << "'";
    ++checked;
  }
  EXPECT_EQ(checked, 400);
}

TEST(JsonFormatsHostile, DeeplyNestedLinesAreDataErrorsWithTheLine) {
  TempDir tmp;
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  const std::string path = tmp.file("deep.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"x\", \"meta\": " + deep + "}\n");
  auto vocab = std::make_shared<Vocab>();
  DataError e = trfpipe::testing::expect_data_error(
      [&] { read_jsonl(path, trfpipe::testing::whitespace_make_doc(vocab), "text"); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("nested deeper"), std::string::npos) << e.what();
  // The v2 JSON training format too.
  e = trfpipe::testing::expect_data_error([&] { parse_json_v2(deep, "deep.json", vocab); });
  EXPECT_NE(std::string(e.what()).find("deep.json"), std::string::npos) << e.what();
}

}  // namespace

namespace {

// Invalid UTF-8 in a text corpus made docs whose JSON could not be written (nlohmann's
// type_error 316 from `apply` or the docs' JSON: "Unexpected error"); found by fuzz_conllu and
// fuzz_iob. Python reads these files as UTF-8 and stops at the first bad byte; so does trfpipe,
// naming the file and the line.
TEST(TextFormatsHostile, InvalidUtf8IsADataErrorNamingTheLine) {
  auto vocab = std::make_shared<Vocab>("en");
  const std::string bad = "\xff\xfe";
  const std::string conllu = "# text = ok\n1\tok\tok\tX\tX\t_\t0\troot\t_\t_\n\n1\ta" + bad + "\ta\tX\tX\t_\t0\troot\t_\t_\n";
  auto expect_line = [](const DataError& e, int64_t line) {
    EXPECT_EQ(e.line(), line) << e.what();
    EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
  };
  try {
    parse_conllu(conllu, "bad.conllu", vocab, 1, false);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "bad.conllu");
    expect_line(e, 4);
  }
  try {
    parse_iob("a|B-PER b|O\nc" + bad + "|O\n", "bad.iob", vocab, 1);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    expect_line(e, 2);
  }
  try {
    parse_conll_ner("a O\nb" + bad + " B-PER\n", "bad.ner", vocab, 1);
    ADD_FAILURE() << "no error";
  } catch (const DataError& e) {
    expect_line(e, 2);
  }
}

}  // namespace
