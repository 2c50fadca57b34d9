// Commands that need no LibTorch model do not load LibTorch (libtrfpipe.so and libtorch stay out
// of the process): seen through the dynamic loader's own log (LD_DEBUG=files), which names every
// shared object it loads. A command that needs it (the training commands' module) is the control.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "run_cli.hpp"

using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::run_process;
using trfpipe::testing::TempDir;

namespace {

// The CLI run with the loader's log on stderr.
RunResult run_logged(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  RunOptions o;
  o.env = {"LD_DEBUG=files"};
  o.stdin_text = stdin_text;
  return run_process(args, o);
}

bool loads(const RunResult& r, const std::string& library) {
  return r.err.find("file=" + library) != std::string::npos;
}

const std::string kShared = TRFPIPE_SHARED_DIR;

}  // namespace

TEST(FastStart, CommandsWithoutModelsDoNotLoadLibTorch) {
  TempDir tmp;
  tmp.file("in.jsonl", "{\"text\": \"Hello there. How are you?\"}\n");
  const std::vector<std::vector<std::string>> commands = {
      {"--version"},
      {"--help"},
      {"apply", "--help"},
      {"config", "dump", kShared + "/data/configs/spaCy__spacy__default_config.cfg"},
      {"convert", kShared + "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu", tmp.path.string(), "-n", "10"},
      {"debug", "pieces", "--tokenizer", kShared + "/data/tokenizers/bert-base-uncased-vocab.txt",
       tmp / "in.jsonl", tmp / "pieces.jsonl"},
      {"apply", "blank:en", tmp / "in.jsonl", tmp / "out.jsonl", "--pipe", "sentencizer", "--force"},
      {"apply", "blank:en", "-", "-", "--n-process", "2"},
  };
  for (const auto& args : commands) {
    RunResult r = run_logged(args, "One text.\nTwo texts.\n");
    std::string line;
    for (const auto& a : args) line += a + " ";
    EXPECT_EQ(r.exit_code, 0) << line << "\n" << r.err.substr(r.err.size() > 3000 ? r.err.size() - 3000 : 0);
    EXPECT_TRUE(loads(r, "libtrfpipe_core.so")) << line;  // the log works
    EXPECT_FALSE(loads(r, "libtorch")) << line << "loads LibTorch";
    EXPECT_FALSE(loads(r, "libtrfpipe.so")) << line << "loads libtrfpipe.so";
  }
}

TEST(FastStart, CommandsOfTheLibTorchModuleLoadItWhenTheyRun) {
  RunResult r = run_logged({"train", "--help"});
  EXPECT_EQ(r.exit_code, 0) << r.err.substr(0, 2000);
  EXPECT_TRUE(loads(r, "libtrfpipe_torch_commands.so"));
  EXPECT_TRUE(loads(r, "libtorch"));
  EXPECT_NE(r.out.find("Train a pipeline"), std::string::npos) << r.out;
}
