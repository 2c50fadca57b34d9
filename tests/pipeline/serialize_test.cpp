#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

namespace fs = std::filesystem;
using namespace trfpipe;
using trfpipe::testing::error_of;
using trfpipe::testing::TempDir;

namespace {

// A component with one saved setting: it writes "<dir>/state.json" and sets every token's
// lemma to the saved word.
class WordPipe : public Pipe {
 public:
  WordPipe(std::string name, std::string word) : Pipe(std::move(name)), word(std::move(word)) {}
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override {
    for (Doc* d : docs)
      for (size_t i = 0; i < d->size(); ++i) d->token(i).set_lemma(word);
  }
  void to_disk(const std::string& dir) const override {
    fs::create_directories(dir);
    std::ofstream(fs::path(dir) / "state.json") << Json(word).dump();
  }
  void from_disk(const std::string& dir) override {
    std::ifstream in(fs::path(dir) / "state.json");
    if (!in) throw DataError(dir + "/state.json", -1, "missing");
    word = Json::parse(in).get<std::string>();
  }
  std::string word;
};

void register_word_factory() {
  FactoryMeta m;
  m.name = "test_word";
  m.default_config = {{"word", "default"}};
  m.make = [](Language&, const std::string& name, const registry::Value& cfg) {
    return std::make_unique<WordPipe>(name, cfg.at("word").as<std::string>());
  };
  register_factory(m);
}

}  // namespace

TEST(Serialize, RoundTripKeepsConfigComponentsAndStrings) {
  register_word_factory();
  TempDir tmp;
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "w1", {{"word", "cfg"}});
  nlp->add_pipe("test_word", "w2");
  nlp->disable_pipe("w2");
  static_cast<WordPipe&>(nlp->get_pipe("w1")).word = "trained";  // state beyond the config
  nlp->vocab().strings().add("a-label-only-in-strings");
  fs::path out = tmp.path / "model";
  nlp->to_disk(out.string());
  for (const char* f : {"config.cfg", "meta.json", "vocab/strings.json", "tokenizer",
                        "w1/state.json", "w2/state.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  // No temporary directory is left beside the pipeline.
  size_t entries = 0;
  for (auto& e : fs::directory_iterator(tmp.path)) entries += (e.path() != out);
  EXPECT_EQ(entries, 0u);

  auto loaded = Language::load(out.string());
  EXPECT_EQ(loaded->component_names(), (std::vector<std::string>{"w1", "w2"}));
  EXPECT_EQ(loaded->pipe_names(), std::vector<std::string>{"w1"});
  EXPECT_EQ(static_cast<WordPipe&>(loaded->get_pipe("w1")).word, "trained");
  EXPECT_EQ(nlohmann::json(loaded->config()), nlohmann::json(nlp->config()));
  EXPECT_TRUE(loaded->vocab().strings().contains(std::string_view("a-label-only-in-strings")));
  Doc a = (*nlp)("Same text, same lemmas.");
  Doc b = (*loaded)("Same text, same lemmas.");
  EXPECT_EQ(a.to_json(), b.to_json());
  Json meta = Json::parse(std::ifstream(out / "meta.json"));
  EXPECT_EQ(meta["lang"], "en");
  EXPECT_EQ(meta["components"], Json::array({"w1", "w2"}));
  EXPECT_EQ(meta["disabled"], Json::array({"w2"}));
  Json strings = Json::parse(std::ifstream(out / "vocab" / "strings.json"));
  ASSERT_TRUE(strings.is_array());
  EXPECT_TRUE(std::is_sorted(strings.begin(), strings.end()));
}

// spaCy's saved layout: every component its own [components.NAME] section, in name order, whatever
// the pipeline order (which the pipeline keeps in [nlp] pipeline), and nothing written inline.
TEST(Serialize, SavedConfigWritesEveryComponentAsASection) {
  register_word_factory();
  TempDir tmp;
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "zeta", {{"word", "z"}});
  nlp->add_pipe("test_word", "alpha", {{"word", "a"}});
  nlp->to_disk((tmp.path / "model").string());
  std::ifstream in(tmp.path / "model" / "config.cfg");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t alpha = text.find("\n[components.alpha]\n"), zeta = text.find("\n[components.zeta]\n");
  ASSERT_NE(alpha, std::string::npos) << text;
  ASSERT_NE(zeta, std::string::npos) << text;
  EXPECT_LT(alpha, zeta);
  EXPECT_EQ(text.find("zeta = {"), std::string::npos) << text;
  EXPECT_EQ(Language::load((tmp.path / "model").string())->pipe_names(),
            (std::vector<std::string>{"zeta", "alpha"}));
}

TEST(Serialize, OverwritesAnExistingPipelineDirectory) {
  register_word_factory();
  TempDir tmp;
  fs::path out = tmp.path / "model";
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "first");
  nlp->to_disk(out.string());
  nlp->rename_pipe("first", "second");
  nlp->to_disk(out.string());
  EXPECT_FALSE(fs::exists(out / "first"));
  EXPECT_TRUE(fs::exists(out / "second" / "state.json"));
  EXPECT_EQ(Language::load(out.string())->pipe_names(), std::vector<std::string>{"second"});
}

TEST(Serialize, FailedSaveLeavesNothingHalfWritten) {
  class Failing : public WordPipe {
   public:
    using WordPipe::WordPipe;
    void to_disk(const std::string&) const override { throw Error("disk full (simulated)"); }
  };
  TempDir tmp;
  fs::path out = tmp.path / "model";
  auto nlp = Language::blank("en");
  nlp->add_pipe(std::make_unique<Failing>("bad", "x"));
  EXPECT_THROW(nlp->to_disk(out.string()), Error);
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(tmp.path));
}

TEST(Serialize, LoadErrors) {
  register_word_factory();
  TempDir tmp;
  std::string missing = error_of([&] { Language::load((tmp.path / "nope").string()); });
  EXPECT_NE(missing.find("E050"), std::string::npos) << missing;
  fs::create_directories(tmp.path / "empty");
  EXPECT_THROW(Language::load((tmp.path / "empty").string()), ConfigError);
  fs::create_directories(tmp.path / "unknown");
  std::ofstream(tmp.path / "unknown" / "config.cfg")
      << "[nlp]\nlang = \"en\"\npipeline = [\"x\"]\n\n[components]\n\n[components.x]\n"
         "factory = \"no_such_factory\"\n";
  std::string unknown = error_of([&] { Language::load((tmp.path / "unknown").string()); });
  EXPECT_NE(unknown.find("no_such_factory"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("Available factories"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("test_word"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("components -> x -> factory"), std::string::npos) << unknown;
}

TEST(Serialize, FromConfigErrors) {
  register_word_factory();
  EXPECT_THROW(Language::from_config(Json::object()), ConfigError);
  EXPECT_THROW(Language::from_config({{"nlp", {{"lang", "qq"}}}}), ConfigError);
  EXPECT_THROW(Language::from_config({{"nlp", {{"lang", "en"}, {"bogus", 1}}}}), ConfigError);
  EXPECT_THROW(Language::from_config({{"nlp", {{"lang", "en"}, {"pipeline", {"a"}}}}}),
               ConfigError);  // no [components.a]
  std::string source = error_of([] {
    Language::from_config({{"nlp", {{"lang", "en"}, {"pipeline", {"a"}}}},
                           {"components", {{"a", {{"source", "en_core_web_sm"}}}}}});
  });
  EXPECT_NE(source.find("components -> a -> source: 'en_core_web_sm' is not a pipeline folder"),
            std::string::npos)
      << source;
  EXPECT_THROW(Language::from_config({{"nlp", {{"lang", "en"}, {"pipeline", {"a"}}}},
                                      {"components", {{"a", {{"word", "x"}}}}}}),
               ConfigError);  // no factory
  EXPECT_THROW(Language::from_config({{"nlp", {{"lang", "en"}, {"disabled", {"a"}}}}}),
               ConfigError);  // disabled but not in the pipeline
}

TEST(Serialize, FromConfigBuildsPipelineInOrder) {
  register_word_factory();
  Json cfg = {{"nlp", {{"lang", "en"}, {"pipeline", {"b", "a"}}, {"disabled", {"a"}},
                       {"batch_size", 7}}},
              {"components", {{"a", {{"factory", "test_word"}}},
                              {"b", {{"factory", "test_word"}, {"word", "bee"}}}}}};
  auto nlp = Language::from_config(cfg);
  EXPECT_EQ(nlp->component_names(), (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(nlp->disabled(), std::vector<std::string>{"a"});
  EXPECT_EQ(nlp->batch_size, 7u);
  EXPECT_EQ(static_cast<WordPipe&>(nlp->get_pipe("a")).word, "default");
  EXPECT_EQ(nlp->config()["components"]["a"]["word"], "default");
  EXPECT_EQ(nlp->config()["nlp"]["batch_size"], 7);
}

TEST(Serialize, LoadBlankWithAndWithoutOverrides) {
  auto nlp = Language::load("blank:en");
  EXPECT_EQ(nlp->lang(), "en");
  EXPECT_TRUE(nlp->component_names().empty());
  auto big = Language::load("blank:en", {{"nlp.batch_size", "64"}});
  EXPECT_EQ(big->batch_size, 64u);
  EXPECT_THROW(Language::load("blank:qq"), ValueError);
}

// ---- hostile names, failed replacements, permissions (issue #19) ----------------------------

TEST(SerializeHostile, ComponentNamesMustBeFolderNamesInsideThePipeline) {
  register_word_factory();
  TempDir tmp;
  const fs::path outside = tmp.path / "outside";
  const fs::path out = tmp.path / "in" / "model";
  for (const std::string name : {outside.string(), std::string("../../outside"), std::string("a/b"),
                                 std::string(".."), std::string("."), std::string("a\\b"),
                                 std::string("vocab"), std::string("tokenizer"), std::string("meta.json"),
                                 std::string("config.cfg")}) {
    auto nlp = Language::blank("en");
    nlp->add_pipe(std::make_unique<WordPipe>(name, "x"));
    const std::string msg = error_of([&] { nlp->to_disk(out.string()); });
    EXPECT_NE(msg.find("component name '" + name + "'"), std::string::npos) << msg;
    EXPECT_FALSE(fs::exists(outside)) << name;
    EXPECT_FALSE(fs::exists(out)) << name;
  }
  EXPECT_TRUE(!fs::exists(tmp.path / "in") || fs::is_empty(tmp.path / "in"));
  // A pipeline folder whose config names a component with an absolute path (a section
  // [components./tmp/...]): refused before anything is read from there.
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "w");
  nlp->to_disk(out.string());
  ASSERT_EQ(outside.string().find('.'), std::string::npos) << "a '.' would split the section name";
  Json cfg = load_config_file((out / "config.cfg").string(), {}, false);
  cfg["nlp"]["pipeline"] = {outside.string()};
  cfg["components"][outside.string()] = cfg["components"]["w"];
  cfg["components"].erase("w");
  std::ofstream(out / "config.cfg", std::ios::trunc) << write_cfg(cfg);
  fs::create_directories(outside);
  std::ofstream(outside / "state.json") << "\"read from outside\"";
  const std::string msg = error_of([&] { Language::load(out.string()); });
  EXPECT_NE(msg.find("component name '" + outside.string() + "'"), std::string::npos) << msg;
}

TEST(SerializeHostile, AFailedReplacementKeepsThePreviousPipeline) {
  register_word_factory();
  TempDir tmp;
  fs::path out = tmp.path / "model";
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "w", {{"word", "first"}});
  nlp->to_disk(out.string());
  class Failing : public WordPipe {
   public:
    using WordPipe::WordPipe;
    void to_disk(const std::string& dir) const override {
      WordPipe::to_disk(dir);
      throw Error("disk full (simulated)");
    }
  };
  nlp->add_pipe(std::make_unique<Failing>("bad", "x"));
  EXPECT_THROW(nlp->to_disk(out.string()), Error);
  auto back = Language::load(out.string());
  EXPECT_EQ(back->pipe_names(), std::vector<std::string>{"w"});
  EXPECT_EQ(static_cast<WordPipe&>(back->get_pipe("w")).word, "first");
  std::vector<std::string> entries;
  for (const auto& e : fs::directory_iterator(tmp.path)) entries.push_back(e.path().filename().string());
  EXPECT_EQ(entries, std::vector<std::string>{"model"});  // no model.tmp-* / .model.old-* left
}

TEST(SerializeHostile, SavedFoldersGetTheUmasksPermissions) {
  register_word_factory();
  TempDir tmp;
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_word", "w");
  const mode_t saved = ::umask(022);
  nlp->to_disk((tmp.path / "a").string());
  ::umask(027);
  nlp->to_disk((tmp.path / "b").string());
  ::umask(saved);
  EXPECT_EQ(fs::status(tmp.path / "a").permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                fs::perms::others_read | fs::perms::others_exec);
  EXPECT_EQ(fs::status(tmp.path / "b").permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

TEST(SerializeHostile, DeeplyNestedJsonInThePipelineFolderIsADataError) {
  register_word_factory();
  TempDir tmp;
  fs::path out = tmp.path / "model";
  auto nlp = Language::blank("en");
  nlp->to_disk(out.string());
  std::ofstream(out / "meta.json", std::ios::trunc) << std::string(100000, '[') << std::string(100000, ']');
  const std::string msg = error_of([&] { Language::load(out.string()); });
  EXPECT_NE(msg.find((out / "meta.json").string()), std::string::npos) << msg;
  EXPECT_NE(msg.find("nested deeper"), std::string::npos) << msg;
}
