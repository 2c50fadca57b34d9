#include <gtest/gtest.h>

#include "pipeline/error_of.hpp"
#include "pipeline/language_impl.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"

using namespace trfpipe;
using trfpipe::testing::error_of;

namespace {

// Appends its name to a per-doc trace (doc._.trace) and tags every token with `tag`.
class TracePipe : public Pipe {
 public:
  TracePipe(std::string name, std::string tag) : Pipe(std::move(name)), tag_(std::move(tag)) {}
  std::any predict(const std::vector<Doc*>& docs) override {
    batches.push_back(docs.size());
    return std::any(tag_);
  }
  void set_annotations(const std::vector<Doc*>& docs, const std::any& scores) override {
    for (Doc* d : docs) {
      for (size_t i = 0; i < d->size(); ++i) d->token(i).set_tag(std::any_cast<std::string>(scores));
      d->ext_as<std::string>("trace") += name() + ";";
    }
  }
  void on_pipeline_built(Language& nlp) override { ++built; }
  void initialize(const GetExamples& get, Language& nlp) override { ++initialized; }
  std::vector<size_t> batches;
  int built = 0, initialized = 0;
  std::string tag_;
};

std::vector<std::string>& update_log() {
  static std::vector<std::string> log;
  return log;
}

class FakeTrainable : public TrainablePipe {
 public:
  using TrainablePipe::TrainablePipe;
  std::any predict(const std::vector<Doc*>& docs) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override {
    for (Doc* d : docs) d->token(0).set_tag("ANNOTATED_BY_" + name());
  }
  void update(const std::vector<Example>& examples, double drop, Optimizer* sgd,
              Losses& losses) override {
    update_log().push_back("update " + name() + " tag0=" +
                           examples[0].predicted().token(0).tag_());
    losses[name()] += 1.0;
  }
  void finish_update(Optimizer&) override { update_log().push_back("finish " + name()); }
};

void register_test_factories() {
  Doc::set_extension("trace", std::any(std::string()), true);
  FactoryMeta m;
  m.name = "test_tagger";
  m.default_config = {{"tag", "X"}, {"extra", {{"a", 1}, {"b", 2}}}};
  m.make = [](Language&, const std::string& name, const registry::Value& cfg) {
    return std::make_unique<TracePipe>(name, cfg.at("tag").as<std::string>());
  };
  register_factory(m);
  FactoryMeta t;
  t.name = "test_trainable";
  t.make = [](Language&, const std::string& name, const registry::Value&) {
    return std::make_unique<FakeTrainable>(name);
  };
  register_factory(t);
}

std::unique_ptr<Language> nlp_with(std::vector<std::string> names) {
  register_test_factories();
  auto nlp = Language::blank("en");
  for (const auto& n : names) nlp->add_pipe("test_tagger", n, {{"tag", n}});
  return nlp;
}

}  // namespace

TEST(Language, BlankEnglishAndUnknownLanguage) {
  auto nlp = Language::blank("en");
  EXPECT_EQ(nlp->lang(), "en");
  EXPECT_THROW(Language::blank("qq"), ValueError);
}

TEST(Language, MakeDocKeepsTextAndUsesTokenizerNorms) {
  auto nlp = Language::blank("en");
  std::string text = "  They can't go to the U.K. tomorrow!\n\nOk ";
  Doc doc = nlp->make_doc(text);
  EXPECT_EQ(doc.text(), text);
  std::vector<std::string> words;
  for (size_t i = 0; i < doc.size(); ++i) words.emplace_back(doc[i].text());
  auto it = std::find(words.begin(), words.end(), "n't");
  ASSERT_NE(it, words.end());
  EXPECT_EQ(doc[size_t(it - words.begin())].norm_(), "not");
  EXPECT_EQ(doc[size_t(it - words.begin()) - 1].text(), "ca");
  EXPECT_EQ(nlp->make_doc("").size(), 0u);
}

TEST(Language, InvalidUtf8IsValueError) {
  auto nlp = Language::blank("en");
  EXPECT_THROW(nlp->make_doc(std::string("ab\xff") + "cd"), ValueError);
  EXPECT_THROW((*nlp)(std::string("\xc3")), ValueError);
}

TEST(Language, TextLongerThanMaxLengthIsE088) {
  auto nlp = Language::blank("en");
  nlp->max_length = 5;
  EXPECT_NO_THROW(nlp->make_doc("äöüßé"));  // 5 characters, 10 bytes
  std::string msg = error_of([&] { nlp->make_doc("abcdef"); });
  EXPECT_NE(msg.find("E088"), std::string::npos) << msg;
  EXPECT_NE(msg.find("6"), std::string::npos) << msg;
  EXPECT_NE(msg.find("maximum of 5"), std::string::npos) << msg;
}

TEST(Language, CallRunsEnabledPipesInOrder) {
  auto nlp = nlp_with({"a", "b"});
  Doc doc = (*nlp)("Hello world");
  EXPECT_EQ(doc.ext_as<std::string>("trace"), "a;b;");
  EXPECT_EQ(doc[0].tag_(), "b");
}

TEST(Language, PipeKeepsOrderAndBatches) {
  auto nlp = nlp_with({"a"});
  std::vector<std::string> texts;
  for (int i = 0; i < 7; ++i) texts.push_back("text number " + std::to_string(i));
  auto docs = nlp->pipe(texts, 3);
  ASSERT_EQ(docs.size(), 7u);
  for (size_t i = 0; i < 7; ++i) EXPECT_EQ(docs[i].text(), texts[i]);
  auto& p = static_cast<TracePipe&>(nlp->get_pipe("a"));
  EXPECT_EQ(p.batches, (std::vector<size_t>{3, 3, 1}));
}

TEST(Language, AddPipePositionsAndNames) {
  auto nlp = nlp_with({"a", "b"});
  nlp->add_pipe("test_tagger", "c", {}, AddPipeOptions{"b", "", {}, {}, false, false});
  nlp->add_pipe("test_tagger", "d", {}, AddPipeOptions{"", "", {}, {}, true, false});
  nlp->add_pipe("test_tagger", "e", {}, AddPipeOptions{"", "a", {}, {}, false, false});
  nlp->add_pipe("test_tagger");  // name defaults to the factory
  EXPECT_EQ(nlp->pipe_names(),
            (std::vector<std::string>{"d", "a", "e", "c", "b", "test_tagger"}));
  EXPECT_EQ(nlp->get_pipe("test_tagger").factory_name(), "test_tagger");
  EXPECT_TRUE(nlp->has_pipe("c"));
  EXPECT_FALSE(nlp->has_pipe("zzz"));
}

TEST(Language, AddPipeErrors) {
  auto nlp = nlp_with({"a"});
  std::string dup = error_of([&] { nlp->add_pipe("test_tagger", "a"); });
  EXPECT_NE(dup.find("E007"), std::string::npos) << dup;
  EXPECT_THROW(nlp->add_pipe("test_tagger", "x", {}, AddPipeOptions{"nope", "", {}, {}, false, false}),
               ValueError);
  EXPECT_THROW(nlp->add_pipe("test_tagger", "x", {}, AddPipeOptions{"", "", {}, {}, true, true}),
               ValueError);
  std::string unknown = error_of([&] { nlp->add_pipe("no_such_factory"); });
  EXPECT_NE(unknown.find("Available factories"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("test_tagger"), std::string::npos) << unknown;
  EXPECT_THROW(get_factory("no_such_factory"), Error);
  EXPECT_EQ(nlp->pipe_names(), std::vector<std::string>{"a"});
}

TEST(Language, ConfigMergesFactoryDefaults) {
  auto nlp = nlp_with({});
  nlp->add_pipe("test_tagger", "t", {{"extra", {{"b", 5}}}});
  Json c = nlp->config();
  EXPECT_EQ(c["nlp"]["lang"], "en");
  EXPECT_EQ(c["nlp"]["pipeline"], Json::array({"t"}));
  const Json& block = c["components"]["t"];
  EXPECT_EQ(block["factory"], "test_tagger");
  EXPECT_EQ(block["tag"], "X");
  EXPECT_EQ(block["extra"]["a"], 1);
  EXPECT_EQ(block["extra"]["b"], 5);
}

TEST(Language, DeepMergeSkipsBlocksOfAnotherFunction) {
  Json defaults = {{"model", {{"@architectures", "A.v1"}, {"width", 64}}}, {"x", 1}};
  Json given = {{"model", {{"@architectures", "B.v1"}, {"depth", 2}}}};
  Json merged = pipeline::deep_merge_configs(given, defaults);
  EXPECT_FALSE(merged["model"].contains("width"));
  EXPECT_EQ(merged["x"], 1);
  Json same = pipeline::deep_merge_configs({{"model", {{"@architectures", "A.v1"}}}}, defaults);
  EXPECT_EQ(same["model"]["width"], 64);
}

TEST(Language, RemoveRenameGetUnknownNamesAreValueErrors) {
  auto nlp = nlp_with({"a", "b"});
  std::string msg = error_of([&] { nlp->remove_pipe("zzz"); });
  EXPECT_NE(msg.find("E001"), std::string::npos);
  EXPECT_NE(msg.find("'a'"), std::string::npos) << msg;  // lists the available names
  EXPECT_THROW(nlp->rename_pipe("zzz", "y"), ValueError);
  EXPECT_THROW(nlp->rename_pipe("a", "b"), ValueError);  // duplicate
  EXPECT_THROW(nlp->get_pipe("zzz"), ValueError);
  EXPECT_THROW(nlp->disable_pipe("zzz"), ValueError);
  nlp->rename_pipe("a", "first");
  EXPECT_EQ(nlp->get_pipe("first").name(), "first");
  EXPECT_EQ(nlp->config()["components"].contains("first"), true);
  nlp->remove_pipe("b");
  EXPECT_EQ(nlp->component_names(), std::vector<std::string>{"first"});
}

TEST(Language, DisableEnableAndSelectPipes) {
  auto nlp = nlp_with({"a", "b", "c"});
  nlp->disable_pipe("b");
  EXPECT_EQ(nlp->pipe_names(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(nlp->disabled(), std::vector<std::string>{"b"});
  EXPECT_EQ(nlp->component_names().size(), 3u);
  Doc d = (*nlp)("x");
  EXPECT_EQ(d.ext_as<std::string>("trace"), "a;c;");
  {
    DisabledPipes dp = nlp->select_pipes({}, {"c"});
    EXPECT_EQ(nlp->pipe_names(), std::vector<std::string>{"c"});
    EXPECT_EQ(dp.names(), std::vector<std::string>{"a"});  // b was already disabled
  }
  EXPECT_EQ(nlp->pipe_names(), (std::vector<std::string>{"a", "c"}));
  DisabledPipes dp = nlp->select_pipes({"a"});
  EXPECT_EQ(nlp->pipe_names(), std::vector<std::string>{"c"});
  dp.restore();
  EXPECT_EQ(nlp->pipe_names(), (std::vector<std::string>{"a", "c"}));
  EXPECT_THROW(nlp->select_pipes({"zzz"}), ValueError);
  EXPECT_THROW(nlp->select_pipes({"a"}, {"a"}), ValueError);  // inconsistent
  nlp->enable_pipe("b");
  EXPECT_EQ(nlp->pipe_names().size(), 3u);
  DisabledPipes gone = nlp->select_pipes({"a"});
  nlp->remove_pipe("a");
  EXPECT_THROW(gone.restore(), ValueError);
}

TEST(Language, InitializeCallsPipesThenLinks) {
  auto nlp = nlp_with({"a", "b"});
  auto& a = static_cast<TracePipe&>(nlp->get_pipe("a"));
  EXPECT_EQ(a.built, 2);  // relinked after each add_pipe, as spaCy
  nlp->initialize([] { return std::vector<Example>{}; });
  EXPECT_EQ(a.initialized, 1);
  EXPECT_EQ(a.built, 3);
  nlp->link_components();
  EXPECT_EQ(a.built, 4);
  nlp->remove_pipe("b");
  EXPECT_EQ(a.built, 5);
}

TEST(Language, UpdateCallsTrainablePipesAndAnnotates) {
  register_test_factories();
  auto nlp = Language::blank("en");
  nlp->add_pipe("test_trainable", "t1");
  nlp->add_pipe("test_tagger", "tagger", {{"tag", "T"}});
  nlp->add_pipe("test_trainable", "t2");
  nlp->add_pipe("test_trainable", "t3");
  auto ref = std::make_shared<Doc>(nlp->make_doc("hello there"));
  std::vector<Example> egs{Example::from_reference(ref)};
  update_log().clear();
  Losses losses;
  nlp->update(egs, 0.0, nullptr, losses, {"t3"}, {"t1"});
  EXPECT_EQ(update_log(), (std::vector<std::string>{"update t1 tag0=", "update t2 tag0=ANNOTATED_BY_t1"}));
  EXPECT_EQ(losses.at("t1"), 1.0);
  EXPECT_EQ(losses.count("t3"), 0u);
  // The caller's examples are copied, not annotated.
  EXPECT_EQ(egs[0].predicted().token(0).tag_(), "");
  // With an optimizer, each updated component steps right after its update.
  update_log().clear();
  nlp->update(egs, 0.0, reinterpret_cast<Optimizer*>(&losses), losses, {"t2", "t3"});
  EXPECT_EQ(update_log(), (std::vector<std::string>{"update t1 tag0=", "finish t1"}));
}
