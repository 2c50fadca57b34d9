// Data-parallel `trfpipe train` (issue 17, docs/distributed.md) with real processes on loopback:
// the ranks are started the way torchrun starts them (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT
// on a free port), or by `--n-workers`. Checked: 2 workers x batch B end with the same weights as
// 1 worker x batch 2B (SGD, dropout 0: spaCy's quickstart CNN tagger with a smooth encoder, and a
// tiny BERT with a tagger listener); a
// SIGKILLed worker makes the other stop within 60 s naming the rank; --n-workers writes
// model-best once; a bad environment is a clear error at once.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <ATen/ATen.h>
#include <nlohmann/json.hpp>

#include "cli/free_port.hpp"
#include "common/temp_dir.hpp"
#include "models/safetensors.hpp"
#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::run_process;
using trfpipe::testing::RunOptions;
using trfpipe::testing::RunResult;
using trfpipe::testing::TempDir;
using trfpipe::cli::free_port;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A worker process with its output in files; killed when still running at the end of a test.
class Worker {
 public:
  Worker(const std::vector<std::string>& args, const std::vector<std::string>& env,
         const fs::path& log_prefix)
      : out_(log_prefix.string() + ".out"), err_(log_prefix.string() + ".err") {
    std::vector<std::string> store{TRFPIPE_CLI};
    store.insert(store.end(), args.begin(), args.end());
    std::vector<std::string> env_store = env;
    pid_ = ::fork();
    if (pid_ == 0) {
      int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out, 1);
      ::dup2(err, 2);
      for (auto& e : env_store) ::putenv(e.data());
      std::vector<char*> argv;
      for (auto& a : store) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Worker() {
    if (pid_ > 0 && !done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  // The exit code (128 + signal when killed), or -1 when still running after `seconds`.
  int wait(double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (!done_) {
      int status = 0;
      pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        done_ = true;
        code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return code_;
  }
  std::string out() const { return read(out_); }
  std::string err() const { return read(err_); }

 private:
  std::string out_, err_;
  pid_t pid_ = -1;
  bool done_ = false;
  int code_ = -1;
};

// One BLAS / ATen thread: the order of every floating-point sum then does not depend on the
// machine's core count, so the equivalence checks give the same numbers everywhere.
const std::vector<std::string> kOneThread{"OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"};

// The environment torchrun gives rank `rank` of `world`.
std::vector<std::string> rank_env(int rank, int world, int port,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> env{"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank),
                               "WORLD_SIZE=" + std::to_string(world), "MASTER_ADDR=127.0.0.1",
                               "MASTER_PORT=" + std::to_string(port)};
  env.insert(env.end(), kOneThread.begin(), kOneThread.end());
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

// `cfg` without the sections [prefix] and [prefix.*], with `replacement` appended.
std::string replace_sections(const std::string& cfg, const std::string& prefix,
                             const std::string& replacement) {
  std::istringstream in(cfg);
  std::string out;
  bool skipping = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '[')
      skipping = line == "[" + prefix + "]" || line.rfind("[" + prefix + ".", 0) == 0;
    if (!skipping) out += line + "\n";
  }
  return out + "\n" + replacement + "\n";
}

class DistributedTrain : public ::testing::Test {
 protected:
  // The first `n` sentences of UD English EWT dev, as .spacy.
  std::string ud_sample(size_t n) {
    std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
    EXPECT_TRUE(in.good());
    std::ostringstream out;
    size_t sents = 0;
    for (std::string line; std::getline(in, line);) {
      out << line << "\n";
      if (line.empty() && ++sents == n) break;
    }
    fs::create_directories(tmp_.path / "data");
    RunResult r = run_cli({"convert", tmp_.file("sample.conllu", out.str()), tmp_ / "data", "-n", "5"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return tmp_ / "data/sample.spacy";
  }

  // spaCy's quickstart config for a tagger (`init config -p tagger`, optionally on a
  // transformer), made deterministic for comparison: SGD without averages, dropout 0, a fixed
  // number of examples per batch, one sub-batch. `replacement`: more sections to replace
  // ({section, its new text}).
  std::string sgd_config(const std::vector<std::string>& init_args,
                         const std::vector<std::pair<std::string, std::string>>& replacements = {}) {
    std::vector<std::string> args{"init", "config", tmp_ / "generated.cfg", "-p", "tagger"};
    args.insert(args.end(), init_args.begin(), init_args.end());
    RunResult c = run_cli(args);
    EXPECT_EQ(c.exit_code, 0) << c.err << c.out;
    std::string cfg = read(tmp_ / "generated.cfg");
    cfg = replace_sections(cfg, "training.optimizer",
                           "[training.optimizer]\n@optimizers = \"SGD.v1\"\nlearn_rate = 0.05\n"
                           "L2 = 0.0\ngrad_clip = 1.0\nuse_averages = false\n");
    cfg = replace_sections(cfg, "training.batcher",
                           "[training.batcher]\n@batchers = \"spacy.batch_by_sequence.v1\"\n"
                           "size = 4\nget_length = null\n");
    for (const auto& [section, text] : replacements) cfg = replace_sections(cfg, section, text);
    std::ofstream(tmp_ / "sgd.cfg") << cfg;
    return tmp_ / "sgd.cfg";
  }

  // A small CNN tagger (HashEmbedCNN width 32, depth 1) with the same training settings, for the
  // tests that need training to run, not particular weights.
  std::string cnn_config() {
    std::string cfg =
        "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 1\n\n[nlp]\nlang = \"en\"\n"
        "pipeline = [\"tagger\"]\n\n[components]\n\n[components.tagger]\nfactory = \"tagger\"\n\n"
        "[components.tagger.model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
        "[components.tagger.model.tok2vec]\n@architectures = \"spacy.HashEmbedCNN.v2\"\n"
        "pretrained_vectors = null\nwidth = 32\ndepth = 1\nembed_size = 500\nwindow_size = 1\n"
        "maxout_pieces = 2\nsubword_features = true\n\n"
        "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n\n"
        "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n\n[training]\n\n"
        "[training.optimizer]\n@optimizers = \"SGD.v1\"\nlearn_rate = 0.05\nL2 = 0.0\n"
        "grad_clip = 1.0\nuse_averages = false\n\n"
        "[training.batcher]\n@batchers = \"spacy.batch_by_sequence.v1\"\nsize = 4\nget_length = null\n";
    std::ofstream(tmp_ / "cnn.cfg") << cfg;
    return tmp_ / "cnn.cfg";
  }

  std::vector<std::string> train_args(const std::string& cfg, const std::string& data,
                                      const std::string& out, int batch_size) {
    return {"train", cfg, "--output", out, "--paths.train", data, "--paths.dev", data,
            "--training.max_steps=20", "--training.eval_frequency=10", "--training.dropout=0",
            "--training.accumulate_gradient=1", "--training.seed=3",
            "--training.batcher.size=" + std::to_string(batch_size)};
  }

  // Largest absolute difference between the weights of two pipelines (every component's model
  // file); fails the test when they hold different tensors.
  static double max_weight_difference(const fs::path& a, const fs::path& b) {
    double worst = 0;
    size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(a)) {
      const std::string name = entry.path().filename().string();
      if (name != "model" && name != "model.safetensors") continue;
      const fs::path other = b / fs::relative(entry.path(), a);
      auto ta = trfpipe::models::read_safetensors(entry.path().string()).tensors;
      auto tb = trfpipe::models::read_safetensors(other.string()).tensors;
      EXPECT_EQ(ta.size(), tb.size()) << entry.path();
      for (const auto& [key, t] : ta) {
        if (!tb.count(key)) {
          ADD_FAILURE() << key << " missing in " << other;
          continue;
        }
        if (t.scalar_type() != at::kFloat) continue;
        worst = std::max(worst, (t - tb.at(key)).abs().max().item<double>());
      }
      ++files;
    }
    EXPECT_GT(files, 0u) << "no weights under " << a;
    return worst;
  }

  // Trains `cfg` with 2 ranks x batch 4, 1 rank x batch 8 and (the control) 1 rank x batch 4;
  // returns {|2x4 - 1x8|, |2x4 - 1x4|}. The 2 ranks' pipeline is in two/, rank 0's output in
  // two_rank0_out_.
  std::pair<double, double> compare_two_workers_with_one(const std::string& cfg, const std::string& data) {
    const int port = free_port();
    Worker r0(train_args(cfg, data, tmp_ / "two", 4), rank_env(0, 2, port), tmp_ / "rank0");
    Worker r1(train_args(cfg, data, tmp_ / "two_rank1", 4), rank_env(1, 2, port), tmp_ / "rank1");
    RunOptions slow;
    slow.timeout_seconds = 600;
    slow.env = kOneThread;
    RunResult one = run_process(train_args(cfg, data, tmp_ / "one", 8), slow);
    EXPECT_EQ(one.exit_code, 0) << one.err << one.out;
    RunResult control = run_process(train_args(cfg, data, tmp_ / "control", 4), slow);
    EXPECT_EQ(control.exit_code, 0) << control.err << control.out;
    EXPECT_EQ(r0.wait(600), 0) << r0.err() << r0.out();
    EXPECT_EQ(r1.wait(600), 0) << r1.err() << r1.out();
    // Rank 0 alone prints the table and saves; rank 1 is silent and writes nothing.
    EXPECT_NE(r0.out().find("Trained 21 steps on 2 workers"), std::string::npos) << r0.out();
    EXPECT_NE(r0.out().find("TAG_ACC"), std::string::npos) << r0.out();
    EXPECT_EQ(r1.out(), "");
    EXPECT_FALSE(fs::exists(tmp_ / "two_rank1"));
    two_rank0_out_ = r0.out();
    return {max_weight_difference(tmp_ / "two/model-last", tmp_ / "one/model-last"),
            max_weight_difference(tmp_ / "two/model-last", tmp_ / "control/model-last")};
  }

  TempDir tmp_{"trfpipe_dist_"};
  std::string two_rank0_out_;
};

// "N of M buckets started during the backward pass" of rank 0's summary: N (-1 if absent).
int64_t buckets_started_early(const std::string& out) {
  const size_t at = out.find(" buckets started during the backward pass");
  if (at == std::string::npos) return -1;
  const size_t of = out.rfind("; ", at);
  return of == std::string::npos ? -1 : std::stoll(out.substr(of + 2));
}

}  // namespace

// spaCy's quickstart tagger (tok2vec component, MultiHashEmbed, width 96, depth 4, tagger
// listener) with spacy.MishWindowEncoder.v2 in place of the MaxoutWindowEncoder: with maxout the
// trajectory is chaotic (docs/distributed.md, "Why the maxout tagger drifts"): a different
// order of summation alone, e.g. 1 BLAS thread instead of 2 in one process, switches a maxout
// piece after a few steps and ends 3e-2 apart after 20, with or without data parallelism.
TEST_F(DistributedTrain, TwoWorkersEqualOneWorkerWithTwiceTheBatchCnnTagger) {
  const std::string data = ud_sample(60);
  const std::string cfg = sgd_config(
      {}, {{"components.tok2vec.model.encode",
            "[components.tok2vec.model.encode]\n@architectures = \"spacy.MishWindowEncoder.v2\"\n"
            "width = 96\ndepth = 4\nwindow_size = 1\n"}});
  ASSERT_NE(read(cfg).find("spacy.Tok2VecListener.v1"), std::string::npos);
  auto [same, control] = compare_two_workers_with_one(cfg, data);
  EXPECT_LT(same, 1e-5);
  EXPECT_GT(control, 1e-4);  // the comparison can tell batches apart
  // The buckets started during the backward pass give exactly the weights of buckets started
  // after it (TRFPIPE_DIST_OVERLAP=0).
  EXPECT_GT(buckets_started_early(two_rank0_out_), 0) << two_rank0_out_;
  const int port = free_port();
  const std::vector<std::string> no_overlap{"TRFPIPE_DIST_OVERLAP=0"};
  Worker r0(train_args(cfg, data, tmp_ / "sync", 4), rank_env(0, 2, port, no_overlap), tmp_ / "sync0");
  Worker r1(train_args(cfg, data, tmp_ / "sync1", 4), rank_env(1, 2, port, no_overlap), tmp_ / "sync1");
  ASSERT_EQ(r0.wait(600), 0) << r0.err() << r0.out();
  ASSERT_EQ(r1.wait(600), 0) << r1.err() << r1.out();
  EXPECT_EQ(buckets_started_early(r0.out()), 0) << r0.out();
  EXPECT_EQ(max_weight_difference(tmp_ / "two/model-last", tmp_ / "sync/model-last"), 0.0);
}

TEST_F(DistributedTrain, TwoWorkersEqualOneWorkerWithTwiceTheBatchTransformerListener) {
  const std::string data = ud_sample(40);
  const std::string bert = tmp_ / "bert";
  RunResult m = run_cli({"init", "model", bert, "--arch", "bert", "--layers", "1", "--width", "32",
                         "--heads", "2", "--tokenizer",
                         std::string(TRFPIPE_SHARED_DIR) + "/data/tokenizers/bert-base-uncased-vocab.txt"});
  ASSERT_EQ(m.exit_code, 0) << m.err << m.out;
  // No dropout inside the encoder either (Hugging Face's config applies it in training).
  nlohmann::json hf = nlohmann::json::parse(read(fs::path(bert) / "config.json"));
  hf["hidden_dropout_prob"] = 0.0;
  hf["attention_probs_dropout_prob"] = 0.0;
  std::ofstream(fs::path(bert) / "config.json") << hf.dump(2);
  const std::string cfg = sgd_config({"--transformer", bert});
  ASSERT_NE(read(cfg).find("spacy-transformers.TransformerListener.v1"), std::string::npos);
  auto [same, control] = compare_two_workers_with_one(cfg, data);
  EXPECT_LT(same, 1e-5);
  EXPECT_GT(control, 1e-4);
}

namespace {

// Processes whose command line mentions `needle` (the workers of a test, by its temp folder).
std::vector<pid_t> processes_mentioning(const std::string& needle) {
  std::vector<pid_t> found;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read(entry.path() / "cmdline");
    if (cmdline.find(needle) != std::string::npos && pid_t(std::stol(name)) != ::getpid())
      found.push_back(pid_t(std::stol(name)));
  }
  return found;
}

// The console table's row of step 5 (any epoch): "  E       5  LOSS ...".
const char* const kRowOfStep5 = "       5  ";

// Waits until `worker` has printed `text` on stdout (false after `seconds`).
bool wait_for_output(const Worker& worker, const std::string& text, double seconds) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (worker.out().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return false;
}

}  // namespace

// A worker killed mid-training: the survivor exits non-zero within 60 s and names the dead rank;
// model-best (written at the evaluations before) is complete.
TEST_F(DistributedTrain, KilledWorkerStopsTheOtherNamingTheRank) {
  for (int victim : {1, 0}) {
    SCOPED_TRACE("killed rank " + std::to_string(victim));
    const std::string data = ud_sample(60);
    const std::string cfg = cnn_config();
    const int port = free_port();
    const std::string out = tmp_ / ("killed" + std::to_string(victim));
    auto args = train_args(cfg, data, out, 4);
    args.push_back("--training.max_steps=0");
    args.push_back("--training.eval_frequency=5");
    const std::vector<std::string> extra{"TRFPIPE_DIST_HEARTBEAT_TIMEOUT=10"};
    Worker r0(args, rank_env(0, 2, port, extra), tmp_ / "k0");
    Worker r1(args, rank_env(1, 2, port, extra), tmp_ / "k1");
    // Training runs once rank 0 has printed the row of step 5.
    ASSERT_TRUE(wait_for_output(r0, kRowOfStep5, 120)) << r0.out() << r0.err() << r1.err();
    Worker& dead = victim == 0 ? r0 : r1;
    Worker& survivor = victim == 0 ? r1 : r0;
    ::kill(dead.pid(), SIGKILL);
    const auto killed_at = std::chrono::steady_clock::now();
    const int code = survivor.wait(90);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
    EXPECT_NE(code, -1) << "still running 90 s after the kill";
    EXPECT_NE(code, 0);
    EXPECT_LT(seconds, 60.0);
    EXPECT_NE(survivor.err().find("worker rank " + std::to_string(victim) + " died or stopped responding"),
              std::string::npos)
        << survivor.err();
    RunResult a = run_cli({"apply", out + "/model-best", tmp_.file("in.txt", "A short text.\n"),
                           out + "_pred.jsonl"});
    EXPECT_EQ(a.exit_code, 0) << a.err;
  }
}

TEST_F(DistributedTrain, NWorkersTrainsAndRank0SavesOnce) {
  const std::string data = ud_sample(40);
  const std::string cfg = cnn_config();
  auto args = train_args(cfg, data, tmp_ / "out", 4);
  args.push_back("--n-workers");
  args.push_back("2");
  RunOptions slow;
  slow.timeout_seconds = 600;
  RunResult r = run_process(args, slow);
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  auto count = [&](const std::string& text) {
    size_t n = 0;
    for (size_t at = r.out.find(text); at != std::string::npos; at = r.out.find(text, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("= Training pipeline ="), 1u) << r.out;
  EXPECT_EQ(count("TAG_ACC"), 1u) << r.out;
  EXPECT_EQ(count("\u2714 Saved pipeline to output directory"), 1u) << r.out;
  EXPECT_NE(r.out.find("Trained 21 steps on 2 workers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("gradient all-reduce"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(tmp_ / "out/model-best/tagger/model"));
  EXPECT_TRUE(fs::exists(tmp_ / "out/model-last/tagger/model"));
  for (const auto& entry : fs::directory_iterator(tmp_ / "out"))
    EXPECT_TRUE(entry.path().filename() == "model-best" || entry.path().filename() == "model-last")
        << entry.path();
}

// Ctrl-C on the launcher stops every worker.
TEST_F(DistributedTrain, InterruptingNWorkersStopsEveryWorker) {
  const std::string data = ud_sample(40);
  const std::string cfg = cnn_config();
  auto args = train_args(cfg, data, tmp_ / "out", 4);
  args.insert(args.end(), {"--training.max_steps=0", "--training.eval_frequency=5", "--n-workers", "2"});
  Worker launcher(args, {}, tmp_ / "launcher");
  ASSERT_TRUE(wait_for_output(launcher, kRowOfStep5, 120)) << launcher.out() << launcher.err();
  EXPECT_EQ(processes_mentioning(cfg).size(), 3u);  // the launcher and two workers
  ::kill(launcher.pid(), SIGINT);
  EXPECT_EQ(launcher.wait(60), 128 + SIGINT) << launcher.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_TRUE(processes_mentioning(cfg).empty());
}

TEST_F(DistributedTrain, BadEnvironmentIsAClearErrorAtOnce) {
  const std::string data = ud_sample(10);
  const std::string cfg = cnn_config();
  const auto args = train_args(cfg, data, tmp_ / "out", 4);
  struct Case {
    std::vector<std::string> env;
    std::string message;
  };
  const int port = free_port();  // nothing listens there
  const std::vector<Case> cases = {
      {rank_env(2, 2, port), "RANK=2 must be below WORLD_SIZE=2"},
      {{"RANK=0", "WORLD_SIZE=two"}, "WORLD_SIZE='two' is not an integer"},
      {{"RANK=0"}, "RANK is set but WORLD_SIZE is not"},
      {{"RANK=1", "WORLD_SIZE=2", "MASTER_PORT=1234"}, "MASTER_ADDR (the host of rank 0) is not set"},
      {rank_env(1, 2, port, {"TRFPIPE_DIST_CONNECT_TIMEOUT=3"}),
       "could not reach rank 0's rendezvous store at 127.0.0.1:" + std::to_string(port)},
  };
  for (const Case& c : cases) {
    RunOptions options;
    options.env = c.env;
    options.timeout_seconds = 60;
    const auto start = std::chrono::steady_clock::now();
    RunResult r = run_process(args, options);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 1) << c.message << "\n" << r.err << r.out;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_LT(seconds, 45.0) << c.message;
    EXPECT_FALSE(fs::exists(tmp_ / "out/model-best"));
  }
  RunResult usage = run_cli({"train", cfg, "--n-workers", "0"});
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--n-workers must be a whole number from 1 to 1024"), std::string::npos)
      << usage.err;
}
