// trfpipe train / evaluate end to end: convert -> train -> evaluate -> apply, config errors, and a
// SIGKILL during training that must leave model-best loadable.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <random>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "run_cli.hpp"

namespace fs = std::filesystem;
using trfpipe::testing::run_cli;
using trfpipe::testing::RunResult;

namespace {

class TrainCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("trfpipe_train_cli_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& rel) const { return (dir_ / rel).string(); }

  // The first `n` sentences of UD English EWT dev as CoNLL-U, converted to .spacy.
  std::string ud_sample(size_t n) {
    std::ifstream in(std::string(TRFPIPE_SHARED_DIR) +
                     "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
    EXPECT_TRUE(in.good());
    std::ostringstream out;
    size_t sents = 0;
    for (std::string line; std::getline(in, line);) {
      out << line << "\n";
      if (line.empty() && ++sents == n) break;
    }
    std::ofstream(path("sample.conllu")) << out.str();
    RunResult r = run_cli({"convert", path("sample.conllu"), path("data"), "-n", "5"});
    EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
    return path("data/sample.spacy");
  }

  std::string write_config(const std::string& extra_training = "") {
    std::string cfg =
        "[paths]\ntrain = null\ndev = null\n\n[system]\nseed = 1\n\n[nlp]\nlang = \"en\"\n"
        "pipeline = [\"tagger\"]\n\n[components]\n\n[components.tagger]\nfactory = \"tagger\"\n\n"
        "[components.tagger.model]\n@architectures = \"spacy.Tagger.v2\"\nnO = null\n\n"
        "[components.tagger.model.tok2vec]\n@architectures = \"spacy.HashEmbedCNN.v2\"\n"
        "pretrained_vectors = null\nwidth = 32\ndepth = 1\nembed_size = 500\nwindow_size = 1\n"
        "maxout_pieces = 2\nsubword_features = true\n\n"
        "[corpora]\n\n[corpora.train]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.train}\n\n"
        "[corpora.dev]\n@readers = \"spacy.Corpus.v1\"\npath = ${paths.dev}\n\n"
        "[training]\nmax_steps = 8\neval_frequency = 4\n" + extra_training +
        "\n[training.batcher]\n@batchers = \"spacy.batch_by_words.v1\"\nsize = 200\n";
    std::ofstream(path("config.cfg")) << cfg;
    return path("config.cfg");
  }

  fs::path dir_;
};

TEST_F(TrainCli, ConvertTrainEvaluateApply) {
  std::string data = ud_sample(60);
  std::string cfg = write_config();
  RunResult r = run_cli({"train", cfg, "--output", path("out"), "--paths.train", data,
                         "--paths.dev", data});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("\u2139 Saving to output directory: " + path("out")), std::string::npos);
  EXPECT_NE(r.out.find("= Initializing pipeline ="), std::string::npos);
  EXPECT_NE(r.out.find("\u2714 Initialized pipeline"), std::string::npos);
  EXPECT_NE(r.out.find("= Training pipeline ="), std::string::npos);
  EXPECT_NE(r.out.find("\u2139 Pipeline: ['tagger']"), std::string::npos);
  EXPECT_NE(r.out.find("\u2139 Initial learn rate: 0.001"), std::string::npos);
  EXPECT_NE(r.out.find("E    #       LOSS TAGGER  TAG_ACC  POS_ACC  SCORE"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\u2714 Saved pipeline to output directory\n" + path("out/model-last")),
            std::string::npos);
  ASSERT_TRUE(fs::exists(path("out/model-best/config.cfg")));
  ASSERT_TRUE(fs::exists(path("out/model-last/tagger")));

  RunResult e = run_cli({"evaluate", path("out/model-last"), data, "--output", path("scores.json")});
  ASSERT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("Results"), std::string::npos);
  EXPECT_NE(e.out.find("TOK "), std::string::npos);
  EXPECT_NE(e.out.find("TAG "), std::string::npos);
  EXPECT_NE(e.out.find("SPEED"), std::string::npos);
  EXPECT_EQ(e.out.find("NER P"), std::string::npos);  // only the metrics present
  std::ifstream sf(path("scores.json"));
  nlohmann::json scores = nlohmann::json::parse(sf);
  ASSERT_TRUE(scores.contains("tag_acc"));
  EXPECT_GT(scores["tag_acc"].get<double>(), 0.0);
  EXPECT_LE(scores["tag_acc"].get<double>(), 1.0);
  EXPECT_TRUE(scores.contains("token_acc"));
  EXPECT_GT(scores["speed"].get<double>(), 0.0);

  std::ofstream(path("in.txt")) << "This is a sentence.\n";
  RunResult a = run_cli({"apply", path("out/model-best"), path("in.txt"), path("pred.jsonl")});
  ASSERT_EQ(a.exit_code, 0) << a.err << a.out;
  std::ifstream pf(path("pred.jsonl"));
  std::string line;
  std::getline(pf, line);
  nlohmann::json doc = nlohmann::json::parse(line);
  ASSERT_EQ(doc["tokens"].size(), 5u);
  EXPECT_TRUE(doc["tokens"][0].contains("tag")) << line;
}

TEST_F(TrainCli, ConfigErrorsAreClear) {
  RunResult r = run_cli({"train", path("nope.cfg"), "--output", path("out")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("Config file not found"), std::string::npos) << r.err;

  std::string data = ud_sample(10);
  std::string cfg = write_config();
  // paths.train left null
  RunResult n = run_cli({"train", cfg, "--output", path("out"), "--paths.dev", data});
  EXPECT_EQ(n.exit_code, 1);
  EXPECT_NE(n.err.find("E913"), std::string::npos) << n.err;
  EXPECT_NE(n.err.find("config.cfg"), std::string::npos) << n.err;

  // unknown factory
  std::ifstream in(cfg);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("factory = \"tagger\""), 18, "factory = \"taggr\"");
  std::ofstream(path("bad.cfg")) << text;
  RunResult f = run_cli({"train", path("bad.cfg"), "--paths.train", data, "--paths.dev", data});
  EXPECT_EQ(f.exit_code, 1);
  EXPECT_NE(f.err.find("Can't find factory 'taggr'"), std::string::npos) << f.err;

  // a bad override value type
  RunResult o = run_cli({"train", cfg, "--paths.train", data, "--paths.dev", data,
                         "--training.max_steps", "many"});
  EXPECT_EQ(o.exit_code, 1);
  EXPECT_NE(o.err.find("max_steps"), std::string::npos) << o.err;

  // malformed .spacy
  std::ofstream(path("bad.spacy")) << "garbage";
  RunResult m = run_cli({"train", cfg, "--paths.train", path("bad.spacy"), "--paths.dev", data});
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_NE(m.err.find("bad.spacy"), std::string::npos) << m.err;

  RunResult e = run_cli({"evaluate", path("nomodel"), data});
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_NE(e.err.find("not found"), std::string::npos) << e.err;
  RunResult d = run_cli({"evaluate", "blank:en", path("missing.spacy")});
  EXPECT_EQ(d.exit_code, 1);
  EXPECT_NE(d.err.find("Evaluation data not found"), std::string::npos) << d.err;
}

TEST_F(TrainCli, KillDuringTrainingLeavesModelBestLoadable) {
  std::string data = ud_sample(30);
  std::string cfg = write_config();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::string out = path("out");
    execl(TRFPIPE_CLI, TRFPIPE_CLI, "train", cfg.c_str(), "--output", out.c_str(), "--paths.train",
          data.c_str(), "--paths.dev", data.c_str(), "--training.max_steps", "0",
          "--training.eval_frequency", "1", "--training.patience", "0", (char*)nullptr);
    _exit(127);
  }
  auto start = std::chrono::steady_clock::now();
  bool saved = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(240)) {
    if (fs::exists(path("out/model-best/meta.json"))) {
      saved = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Let it save a few more checkpoints, then kill it in the middle of whatever it does.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(saved) << "no model-best was written";
  ASSERT_TRUE(WIFSIGNALED(status)) << "training ended before it was killed";
  RunResult e = run_cli({"evaluate", path("out/model-best"), data});
  EXPECT_EQ(e.exit_code, 0) << e.err << e.out;
  EXPECT_NE(e.out.find("TAG "), std::string::npos);
}

TEST_F(TrainCli, InitConfigFillConfigAndDebugConfig) {
  RunResult r = run_cli({"init", "config", path("q.cfg"), "--lang", "en", "--pipeline",
                         "tagger,ner,textcat"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("- Pipeline: tagger, ner, textcat"), std::string::npos) << r.out;
  std::ifstream in(path("q.cfg"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("pipeline = [\"tok2vec\",\"tagger\",\"ner\",\"textcat\"]"), std::string::npos)
      << text;
  EXPECT_NE(text.find("@architectures = \"spacy.Tok2VecListener.v1\""), std::string::npos);
  EXPECT_NE(text.find("patience = 1600"), std::string::npos);  // auto-filled [training]
  // An existing output needs --force.
  RunResult again = run_cli({"init", "config", path("q.cfg"), "--pipeline", "tagger"});
  EXPECT_EQ(again.exit_code, 1);
  RunResult bad = run_cli({"init", "config", "-", "--pipeline", "parserx"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("parserx"), std::string::npos) << bad.err;

  std::ofstream(path("base.cfg")) << "[nlp]\nlang = \"en\"\npipeline = [\"tagger\"]\n\n"
                                     "[components]\n\n[components.tagger]\nfactory = \"tagger\"\n";
  RunResult f = run_cli({"init", "fill-config", path("base.cfg"), "-"});
  ASSERT_EQ(f.exit_code, 0) << f.err;
  EXPECT_NE(f.out.find("[training.optimizer]"), std::string::npos) << f.out;
  EXPECT_NE(f.out.find("@architectures = \"spacy.Tagger.v2\""), std::string::npos);
  EXPECT_NE(f.out.find("tag_acc = 1.0"), std::string::npos) << f.out;

  std::string data = ud_sample(10);
  RunResult d = run_cli({"debug", "config", path("q.cfg"), "--show-functions", "--paths.train",
                         data, "--paths.dev", data});
  ASSERT_EQ(d.exit_code, 0) << d.err;
  EXPECT_NE(d.out.find("\u2714 Config is valid"), std::string::npos);
  EXPECT_NE(d.out.find("@batchers = spacy.batch_by_words.v1"), std::string::npos) << d.out;
  RunResult dn = run_cli({"debug", "config", path("q.cfg")});  // paths.train is null
  EXPECT_EQ(dn.exit_code, 1);
  EXPECT_NE(dn.err.find("E913"), std::string::npos) << dn.err;
}

TEST_F(TrainCli, DebugDataCountsAndWarnsAboutDevOnlyLabels) {
  std::string small = ud_sample(5);
  fs::rename(small, path("small.spacy"));
  std::string big = ud_sample(80);
  std::string cfg = write_config();
  RunResult r = run_cli({"debug", "data", cfg, "--paths.train", path("small.spacy"), "--paths.dev",
                         big});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("1 training docs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("16 evaluation docs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("is present in the development data but not in the training data"),
            std::string::npos)
      << r.out;
}

}  // namespace

// ---- training output under faults (issue #19) -------------------------------------------------

namespace {

// The names in `dir` (sorted).
std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

// A pipeline folder loads and evaluates on `data`.
bool loads(const std::string& dir, const std::string& data) {
  RunResult r = run_cli({"evaluate", dir, data});
  return r.exit_code == 0;
}

pid_t start_train(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    dup2(devnull, 2);
    std::vector<std::string> store = {TRFPIPE_CLI};
    store.insert(store.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : store) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(TRFPIPE_CLI, argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

TEST_F(TrainCli, KillAndRestartLosesNothingAndLeavesNothingBehind) {
  std::string data = ud_sample(30);
  std::string cfg = write_config();
  const std::vector<std::string> base = {"train", cfg, "--output", path("out"), "--paths.train", data,
                                         "--paths.dev", data};
  RunResult first = run_cli(base);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  ASSERT_EQ(entries(path("out")), (std::vector<std::string>{"model-best", "model-last"}));
  // Runs that save at every step, killed in the middle of a save (as soon as a temporary folder
  // appears) or at a random moment. While they run, model-best and model-last never go missing
  // (they were deleted at the start, and model-last was replaced with two renames), and after
  // each kill both are complete, old or new.
  std::vector<std::string> forever = base;
  forever.insert(forever.end(), {"--training.max_steps", "0", "--training.eval_frequency", "1",
                                 "--training.patience", "0"});
  std::mt19937 rng(19);
  int mid_save_kills = 0;
  for (int k = 0; k < 6; ++k) {
    const bool random_moment = k >= 4;
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(random_moment ? 300 + int(rng() % 4000) : 120000);
    pid_t pid = start_train(forever);
    ASSERT_GT(pid, 0);
    bool missing = false, saving = false;
    while (std::chrono::steady_clock::now() < deadline && !saving) {
      missing |= !fs::exists(path("out/model-best/meta.json")) || !fs::exists(path("out/model-last/meta.json"));
      if (!random_moment)
        for (const auto& name : entries(path("out")))
          saving |= name.find(".tmp-") != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "run " << k << " ended before it was killed";
    mid_save_kills += saving;
    EXPECT_FALSE(missing) << "run " << k << ": model-best or model-last went missing while it ran";
    for (const char* m : {"out/model-best", "out/model-last"})
      EXPECT_TRUE(loads(path(m), data)) << m << " after kill " << k;
  }
  EXPECT_EQ(mid_save_kills, 4) << "the runs were not caught saving";
  // The next run removes what the killed ones left and ends with exactly the two models.
  RunResult last = run_cli(base);
  ASSERT_EQ(last.exit_code, 0) << last.err;
  EXPECT_EQ(entries(path("out")), (std::vector<std::string>{"model-best", "model-last"}));
  EXPECT_TRUE(loads(path("out/model-best"), data));
}

// What a write error while saving (a full disk, a file size limit) must leave: the previous
// models complete and loadable, no temporary folders, a message saying why, no "Unexpected".
void expect_failed_save_kept_models(const std::string& out, const std::string& data, const RunResult& r,
                                    const std::string& reason) {
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(reason), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Unexpected error"), std::string::npos) << r.err;
  EXPECT_EQ(entries(out), (std::vector<std::string>{"model-best", "model-last"}));
  EXPECT_TRUE(loads(out + "/model-best", data));
  EXPECT_TRUE(loads(out + "/model-last", data));
}

TEST_F(TrainCli, WriteErrorsWhileSavingKeepThePreviousModels) {
  // RLIMIT_FSIZE (ulimit -f) makes every write past 4 KB fail with EFBIG: the same path as a full
  // disk, without privileges.
  std::string data = ud_sample(30);
  std::string cfg = write_config();
  const std::vector<std::string> args = {"train", cfg, "--output", path("out"), "--paths.train", data,
                                         "--paths.dev", data};
  ASSERT_EQ(run_cli(args).exit_code, 0);
  trfpipe::testing::RunOptions limited;
  limited.file_size_limit = 4096;
  RunResult r = trfpipe::testing::run_process(args, limited);
  expect_failed_save_kept_models(path("out"), data, r, "File too large");
}

TEST_F(TrainCli, FullDiskKeepsThePreviousModels) {
  // A 16 MB tmpfs, filled up after a first training. Mounting needs privileges: without them the
  // test is skipped (WriteErrorsWhileSavingKeepThePreviousModels covers the same path).
  std::string data = ud_sample(30);
  std::string cfg = write_config();
  const std::string mnt = path("mnt");
  fs::create_directories(mnt);
  if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=16m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
  struct Unmount {
    std::string dir;
    ~Unmount() { umount2(dir.c_str(), MNT_DETACH); }
  } unmount{mnt};
  const std::vector<std::string> args = {"train", cfg, "--output", mnt + "/out", "--paths.train", data,
                                         "--paths.dev", data};
  RunResult first = run_cli(args);
  ASSERT_EQ(first.exit_code, 0) << first.err;
  {
    std::ofstream fill(mnt + "/filler", std::ios::binary);
    const std::string block(1 << 16, '\0');
    while (fill.write(block.data(), std::streamsize(block.size()))) {
    }
  }
  RunResult r = run_cli(args);
  fs::remove(mnt + "/filler");
  expect_failed_save_kept_models(mnt + "/out", data, r, "No space left on device");
}

TEST_F(TrainCli, EightThreadsGiveTheSameAnnotations) {
  std::string data = ud_sample(60);
  std::string cfg = write_config();
  ASSERT_EQ(run_cli({"train", cfg, "--output", path("out"), "--paths.train", data, "--paths.dev", data}).exit_code, 0);
  // 2,000 sentences of the EWT dev text (as plain lines) through apply with 1 and with 8
  // LibTorch threads (capped at the cores there are, with a warning).
  std::ifstream in(std::string(TRFPIPE_SHARED_DIR) + "/data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu");
  std::ofstream texts(path("texts.txt"));
  int n = 0;
  for (std::string line; n < 2000 && std::getline(in, line);)
    if (line.rfind("# text = ", 0) == 0) {
      texts << line.substr(9) << "\n";
      ++n;
    }
  texts.close();
  ASSERT_EQ(n, 2000);
  RunResult one = run_cli({"apply", path("out/model-best"), path("texts.txt"), path("one.jsonl"), "--threads", "1"});
  RunResult eight = run_cli({"apply", path("out/model-best"), path("texts.txt"), path("eight.jsonl"), "--threads", "8"});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  ASSERT_EQ(eight.exit_code, 0) << eight.err;
  std::ifstream a(path("one.jsonl")), b(path("eight.jsonl"));
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(std::count(sa.begin(), sa.end(), '\n'), 2000);
  EXPECT_TRUE(sa == sb) << "the annotations differ between 1 and 8 threads";
}
