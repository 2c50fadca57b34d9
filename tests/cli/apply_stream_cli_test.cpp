// `trfpipe apply` as a stream: standard input to standard output (as under Spark's RDD.pipe,
// Hadoop streaming or GNU parallel), --n-process, memory that does not grow with the input,
// the progress line's silence off a terminal, and --displacy.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugin_test_support.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_cli;
using trfpipe::testing::run_process;
using trfpipe::testing::TempDir;
using Json = nlohmann::ordered_json;

namespace {

std::vector<Json> lines_of(const std::string& text) {
  std::vector<Json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(Json::parse(line));
  return out;
}

// n JSONL lines cycling through 500 different texts (a bounded vocabulary).
std::string jsonl(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i)
    out += Json{{"text", "Line " + std::to_string(i % 500) + " says hello. Then it ends!"}, {"id", i}}.dump() + "\n";
  return out;
}

RunResult apply_stdin(const std::vector<std::string>& args, const std::string& input) {
  RunOptions o;
  o.stdin_text = input;
  std::vector<std::string> all = {"apply"};
  all.insert(all.end(), args.begin(), args.end());
  return run_process(all, o);
}

}  // namespace

TEST(ApplyStream, StdinJsonlToStdoutKeepsOneLinePerInputLine) {
  const std::string input = jsonl(3000);
  RunResult r = apply_stdin({"blank:en", "-", "-", "--pipe", "sentencizer"}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");  // stdout is the data; nothing else is said
  auto docs = lines_of(r.out);
  ASSERT_EQ(docs.size(), 3000u);
  EXPECT_EQ(docs[1234]["text"], "Line 234 says hello. Then it ends!");
  EXPECT_EQ(docs[1234]["sents"].size(), 2u);
  // The same with several batches at once, and as plain text lines.
  RunResult threads = apply_stdin({"blank:en", "-", "-", "--pipe", "sentencizer", "-n", "3", "-b", "7"}, input);
  ASSERT_EQ(threads.exit_code, 0) << threads.err;
  EXPECT_EQ(threads.out, r.out);
  std::string text_input;
  for (const Json& d : docs) text_input += d["text"].get<std::string>() + "\n";
  RunResult text = apply_stdin({"blank:en", "-", "-", "--pipe", "sentencizer"}, text_input);
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out, r.out);
}

TEST(ApplyStream, StdinErrorsNameTheLineAndKeepEarlierDocs) {
  std::string input = jsonl(50);
  input += "{\"text\": \"ba\xff" "d\"}\n";  // invalid UTF-8 inside the JSON string
  input += jsonl(5);
  for (const char* n : {"1", "4"}) {
    RunResult r = apply_stdin({"blank:en", "-", "-", "-n", n, "-b", "16"}, input);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("<stdin>:51"), std::string::npos) << r.err;
    EXPECT_EQ(lines_of(r.out).size(), 50u) << n;
  }
}

// Memory stays flat: 10 times the input, about the same peak RSS (texts of a bounded vocabulary:
// the StringStore keeps every new string, as spaCy's does).
TEST(ApplyStream, PeakMemoryDoesNotGrowWithTheInput) {
  RunResult small = apply_stdin({"blank:en", "-", "-", "--pipe", "sentencizer", "-q"}, jsonl(20000));
  RunResult large = apply_stdin({"blank:en", "-", "-", "--pipe", "sentencizer", "-q"}, jsonl(200000));
  ASSERT_EQ(small.exit_code, 0) << small.err;
  ASSERT_EQ(large.exit_code, 0) << large.err;
  EXPECT_EQ(std::count(large.out.begin(), large.out.end(), '\n'), 200000);
  EXPECT_LT(large.max_rss_kb, small.max_rss_kb * 1.2 + 4096)
      << "20k docs: " << small.max_rss_kb << " kB, 200k docs: " << large.max_rss_kb << " kB";
}

TEST(ApplyStream, QuietAndNoProgressOffATerminal) {
  TempDir tmp;
  const std::string in = tmp.file("in.jsonl", jsonl(300));
  RunResult r = run_cli({"apply", "blank:en", in, tmp / "out.jsonl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "\u2714 Wrote 300 docs to " + (tmp / "out.jsonl") + "\n");  // no progress line
  RunResult q = run_cli({"apply", "blank:en", in, tmp / "out2.jsonl", "--quiet"});
  ASSERT_EQ(q.exit_code, 0) << q.err;
  EXPECT_EQ(q.err, "");
}

TEST(ApplyStream, DisplacyPageOfTheFirstDocs) {
  TempDir tmp;
  const std::string& plugin = trfpipe::testing::kExamplePlugin;
  const std::string example = trfpipe::testing::kExamplePluginDir;
  ASSERT_EQ(run_cli({"assemble", example + "/config.cfg", tmp / "pipe", "--code", plugin,
                     "--paths.patterns", example + "/patterns.jsonl"}).exit_code, 0);
  RunResult r = run_cli({"apply", tmp / "pipe", example + "/texts.jsonl", tmp / "out.jsonl", "--code",
                         plugin, "--displacy", tmp / "page.html", "--displacy-limit", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream f(tmp.path / "page.html");
  std::stringstream page;
  page << f.rdbuf();
  const std::string html = page.str();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  size_t marks = 0;
  for (size_t at = html.find("<mark class=\"entity\""); at != std::string::npos;
       at = html.find("<mark class=\"entity\"", at + 1))
    ++marks;
  EXPECT_EQ(marks, 6u);  // 2 + 4 entities in the first two texts; the third is past the limit
  EXPECT_NE(html.find(">GPE</span>"), std::string::npos);
  EXPECT_EQ(std::count(html.begin(), html.end(), '\0'), 0);
  size_t svgs = 0;
  for (size_t at = html.find("<svg"); at != std::string::npos; at = html.find("<svg", at + 1)) ++svgs;
  EXPECT_EQ(svgs, 2u);
}
