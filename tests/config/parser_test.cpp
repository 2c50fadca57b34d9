// Unit tests of the .cfg parser, interpolation, overrides, writer and TOML form: every error path,
// and the confection 0.0.4 behaviours spaCy configs rely on.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>

#include "config/json_compare.hpp"
#include "trfpipe/config.hpp"
#include "trfpipe/error.hpp"

using trfpipe::ConfigError;
using trfpipe::Json;
using trfpipe::testing::strict_diff;

namespace {

// Runs f, expects a ConfigError, returns it (what() and path()) for further checks.
ConfigError expect_config_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError thrown";
  return ConfigError({}, "");
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Json interp(const std::string& text) { return trfpipe::load_config(text); }

// --- syntax -----------------------------------------------------------------------------------

TEST(CfgParser, ReadsJsonValueTypesAndFallsBackToStrings) {
  Json c = interp(
      "[a]\nint = 1\nneg = -2\nfloat = 1e-8\nthree = 3.0\nt = true\nn = null\ns = \"str\"\n"
      "bare = hello world\npyb = True\nlst = [1, \"two\", 3.0, null]\nsemi = 5 ; not a comment\n"
      "open = [\"tagger\", \"ner\"\n");
  const Json& a = c["a"];
  EXPECT_TRUE(a["int"].is_number_integer());
  EXPECT_EQ(a["int"].get<int>(), 1);
  EXPECT_EQ(a["neg"].get<int>(), -2);
  EXPECT_TRUE(a["float"].is_number_float());
  EXPECT_DOUBLE_EQ(a["float"].get<double>(), 1e-8);
  EXPECT_TRUE(a["three"].is_number_float());
  EXPECT_TRUE(a["t"].get<bool>());
  EXPECT_TRUE(a["n"].is_null());
  EXPECT_EQ(a["s"], "str");
  EXPECT_EQ(a["bare"], "hello world");
  EXPECT_EQ(a["pyb"], "True");
  EXPECT_TRUE(a["lst"][2].is_number_float());
  EXPECT_EQ(a["semi"], "5 ; not a comment");
  EXPECT_EQ(a["open"], "[\"tagger\", \"ner\"");  // unterminated JSON stays a string, as in confection
}

TEST(CfgParser, ReadsFloatsAsUjsonDoes) {
  // srsly's ujson computes 3 * 0.1, not the nearest double to 0.3: spaCy sees 0.30000000000000004.
  Json c = interp("[a]\nx = 0.3\ny = 0.1\nz = 1.\nw = 007\n");
  EXPECT_EQ(c["a"]["x"].get<double>(), 3 * 0.1);
  EXPECT_NE(c["a"]["x"].get<double>(), 0.3);
  EXPECT_EQ(c["a"]["y"].get<double>(), 0.1);
  EXPECT_TRUE(c["a"]["z"].is_number_float());
  EXPECT_EQ(c["a"]["w"].get<int>(), 7);
}

TEST(CfgParser, KeepsConfection004QuotedValueAndListQuirks) {
  const std::string text = "[a]\nx = \"5\"\ny = \"true\"\nz = [\"1\", \"b\"]\n";
  Json raw = trfpipe::parse_cfg(text);
  EXPECT_EQ(raw["a"]["x"], "5");
  Json c = interp(text);
  EXPECT_TRUE(c["a"]["x"].is_number_integer());  // unquoted once, then read as JSON
  EXPECT_EQ(c["a"]["y"], "true");                // "true"/"false"/"null" stay strings
  EXPECT_EQ(strict_diff(c["a"]["z"], Json::parse("[1, \"b\"]")), "");
}

TEST(CfgParser, CommentsCaseSeparatorsAndContinuations) {
  Json c = interp(
      "# leading\n; also a comment\n[Sec]\nKey = 1\nkey: 2\nlong = [1,\n    2,\n    # skipped\n\n    3]\n"
      "text = first\n  second\n");
  EXPECT_EQ(c["Sec"]["Key"], 1);
  EXPECT_EQ(c["Sec"]["key"], 2);
  EXPECT_EQ(strict_diff(c["Sec"]["long"], Json::parse("[1,2,3]")), "");
  EXPECT_EQ(c["Sec"]["text"], "first\nsecond");
}

TEST(CfgParser, ReadsWindowsLineEnds) {
  Json c = interp("[a]\r\nx = 1\r\n[a.b]\r\ny = \"z\"\r\n");
  EXPECT_EQ(c["a"]["x"], 1);
  EXPECT_EQ(c["a"]["b"]["y"], "z");
}

TEST(CfgParser, OrdersSectionsAlphabeticallyWithOwnValuesFirst) {
  Json c = interp("[b]\nx = 1\n[b.z]\nq = 1\n[b.a]\nq = 2\n[a]\ny = 2\n");
  std::vector<std::string> top, in_b;
  for (auto it = c.begin(); it != c.end(); ++it) top.push_back(it.key());
  for (auto it = c["b"].begin(); it != c["b"].end(); ++it) in_b.push_back(it.key());
  EXPECT_EQ(top, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(in_b, (std::vector<std::string>{"x", "a", "z"}));
}

TEST(CfgParser, PositionalStarSectionsKeepFileOrder) {
  Json c = interp(
      "[model]\n@layers = \"chain.v1\"\n[model.*.relu2]\n@layers = \"Relu.v1\"\nnO = 2\n"
      "[model.*.relu1]\n@layers = \"Relu.v1\"\nnO = 1\n[model.*.a_last]\nnO = 3\n");
  std::vector<std::string> order;
  for (auto it = c["model"]["*"].begin(); it != c["model"]["*"].end(); ++it) order.push_back(it.key());
  EXPECT_EQ(order, (std::vector<std::string>{"relu2", "relu1", "a_last"}));
}

TEST(CfgParser, InlinePromiseDictsAndRegistryKeys) {
  Json c = interp("[m]\n@architectures = \"x.v1\"\npooling = {\"@layers\":\"reduce_mean.v1\"}\n");
  EXPECT_EQ(c["m"]["@architectures"], "x.v1");
  EXPECT_EQ(c["m"]["pooling"]["@layers"], "reduce_mean.v1");
}

// --- parse errors -----------------------------------------------------------------------------

TEST(CfgParserErrors, DuplicateKeyNamesFileLineAndKey) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[training]\ndropout = 0.1\ndropout = 0.2\n", "my.cfg"); });
  EXPECT_TRUE(contains(e.what(), "my.cfg, line 3")) << e.what();
  EXPECT_EQ(e.path(), (std::vector<std::string>{"training", "dropout"}));
}

TEST(CfgParserErrors, DuplicateSectionNamesLine) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[a]\nx = 1\n[a]\ny = 2\n", "d.cfg"); });
  EXPECT_TRUE(contains(e.what(), "d.cfg, line 3")) << e.what();
  EXPECT_TRUE(contains(e.what(), "duplicate section")) << e.what();
}

TEST(CfgParserErrors, TopLevelKeyIsRejected) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("dropout = 0.1\n[training]\n", "t.cfg"); });
  EXPECT_TRUE(contains(e.what(), "t.cfg, line 1")) << e.what();
  EXPECT_TRUE(contains(e.what(), "outside any section")) << e.what();
}

TEST(CfgParserErrors, MissingParentSectionNamesPath) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[nlp.tokenizer]\nx = 1\n", "p.cfg"); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"nlp", "tokenizer"}));
  EXPECT_TRUE(contains(e.what(), "'nlp' is not defined")) << e.what();
  EXPECT_TRUE(contains(e.what(), "p.cfg, line 1")) << e.what();
  auto deep = expect_config_error([] { trfpipe::parse_cfg("[a]\n[a.b.c]\nx = 1\n"); });
  EXPECT_TRUE(contains(deep.what(), "'b' is not defined")) << deep.what();
}

TEST(CfgParserErrors, ValueAndSectionConflict) {
  auto e = expect_config_error(
      [] { trfpipe::parse_cfg("[training]\noptimizer = \"adam\"\n\n[training.optimizer]\n@optimizers = \"Adam.v1\"\n"); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"training", "optimizer"}));
  EXPECT_TRUE(contains(e.what(), "conflicting")) << e.what();
}

TEST(CfgParserErrors, LineWithoutSeparator) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[a]\nx = 1\njust words\n", "w.cfg"); });
  EXPECT_TRUE(contains(e.what(), "w.cfg, line 3")) << e.what();
}

TEST(CfgParserErrors, EmptyKey) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[a]\n= 5\n", "k.cfg"); });
  EXPECT_TRUE(contains(e.what(), "k.cfg, line 2")) << e.what();
}

TEST(CfgParserErrors, DefaultSectionValues) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[DEFAULT]\nx = 1\n[a]\ny = 2\n"); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"x"}));
}

TEST(CfgParserErrors, InvalidUtf8) {
  auto e = expect_config_error([] { trfpipe::parse_cfg("[a]\nx = \"\xff\"\n", "u.cfg"); });
  EXPECT_TRUE(contains(e.what(), "u.cfg, line 2")) << e.what();
}

// --- interpolation ----------------------------------------------------------------------------

TEST(Interpolation, BareReferenceKeepsTypeAndConcatenationMakesStrings) {
  Json c = interp(
      "[paths]\nroot = \"/data\"\ntrain = \"${paths.root}/train.spacy\"\nn = 3\ncopy = ${paths.n}\n"
      "colon = ${paths:n}\nlist = [${paths.n}, 1]\n");
  EXPECT_EQ(c["paths"]["train"], "/data/train.spacy");
  EXPECT_TRUE(c["paths"]["copy"].is_number_integer());
  EXPECT_EQ(c["paths"]["copy"], 3);
  EXPECT_EQ(c["paths"]["colon"], 3);
  EXPECT_EQ(strict_diff(c["paths"]["list"], Json::parse("[3, 1]")), "");
}

TEST(Interpolation, DoubleDollarIsALiteralDollar) {
  Json c = interp("[a]\nprice = \"cost $$5\"\nref = \"$${a.price}\"\n");
  EXPECT_EQ(c["a"]["price"], "cost $5");
  EXPECT_EQ(c["a"]["ref"], "${a.price}");
  // The raw tree keeps `$$`.
  EXPECT_EQ(trfpipe::parse_cfg("[a]\nprice = \"cost $$5\"\n")["a"]["price"], "cost $$5");
}

TEST(Interpolation, SectionReferenceInsertsTheWholeSection) {
  Json c = interp("[paths]\nroot = \"/d\"\nn = 1\n[x]\nnested = ${paths}\nin_list = [${paths}]\n");
  EXPECT_EQ(strict_diff(c["x"]["nested"], Json::parse(R"({"root": "/d", "n": 1})")), "");
  EXPECT_EQ(strict_diff(c["x"]["in_list"][0], Json::parse(R"({"root": "/d", "n": 1})")), "");
}

TEST(Interpolation, InterpolateOfRawEqualsDirectLoad) {
  const std::string text = "[p]\na = 0.3\nb = \"x\"\n[q]\nc = \"${p.b}-${p.a}\"\nd = ${p}\ne = ${p.a}\n";
  EXPECT_EQ(strict_diff(trfpipe::interpolate(trfpipe::parse_cfg(text)), interp(text)), "");
  EXPECT_EQ(interp(text)["q"]["c"], "x-0.3");
}

TEST(InterpolationErrors, UndefinedReferenceNamesThePath) {
  auto e = expect_config_error([] { interp("[paths]\ntrain = ${missing.path}\n"); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"paths", "train"}));
  EXPECT_TRUE(contains(e.what(), "missing.path")) << e.what();
  // Without interpolation it parses.
  EXPECT_EQ(trfpipe::parse_cfg("[paths]\ntrain = ${missing.path}\n")["paths"]["train"], "${missing.path}");
}

TEST(InterpolationErrors, UnterminatedReference) {
  auto e = expect_config_error([] { interp("[a]\nx = ${a.b\n"); });
  EXPECT_TRUE(contains(e.what(), "unterminated")) << e.what();
}

TEST(InterpolationErrors, LoneDollar) {
  auto e = expect_config_error([] { interp("[a]\nx = \"5$\"\n"); });
  EXPECT_TRUE(contains(e.what(), "'$' must be followed")) << e.what();
}

TEST(InterpolationErrors, ReferenceCycle) {
  auto e = expect_config_error([] { interp("[a]\nx = ${a.y}\ny = ${a.x}\n"); });
  EXPECT_EQ(e.path().front(), "a");
}

TEST(InterpolationErrors, SectionReferringToItself) {
  auto e = expect_config_error([] { interp("[s]\nx = ${s}\n"); });
  EXPECT_TRUE(contains(e.what(), "cycle")) << e.what();
}

TEST(InterpolationErrors, SectionReferenceInsideString) {
  auto e = expect_config_error([] { interp("[a]\nx = \"hi ${b}\"\n[b]\ny = 1\n"); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"a", "x"}));
}

// --- overrides --------------------------------------------------------------------------------

const char* kBase =
    "[paths]\ntrain = null\n[corpora]\n[corpora.train]\npath = ${paths.train}\n"
    "[training]\nmax_steps = 20000\ndropout = 0.1\n[training.optimizer]\nlr = 0.001\n";

TEST(Overrides, ApplyBeforeInterpolationWithJsonOrStringValues) {
  Json c = trfpipe::load_config(kBase, {{"paths.train", "corpus/train.spacy"},
                                        {"training.max_steps", "10"},
                                        {"training.dropout", "0.2"},
                                        {"training.new_key", "[1, 2]"}});
  EXPECT_EQ(c["corpora"]["train"]["path"], "corpus/train.spacy");
  EXPECT_TRUE(c["training"]["max_steps"].is_number_integer());
  EXPECT_EQ(c["training"]["max_steps"], 10);
  EXPECT_TRUE(c["training"]["dropout"].is_number_float());
  EXPECT_EQ(strict_diff(c["training"]["new_key"], Json::parse("[1, 2]")), "");
  // A new key joins the section's values, before its subsections.
  EXPECT_EQ(std::next(c["training"].begin(), 2).key(), "new_key");
}

TEST(Overrides, ApplyOverridesThenInterpolate) {
  Json raw = trfpipe::parse_cfg(kBase);
  trfpipe::apply_overrides(raw, {{"paths.train", "x.spacy"}, {"training.optimizer.lr", "1e-4"}});
  EXPECT_EQ(raw["corpora"]["train"]["path"], "${paths.train}");
  Json c = trfpipe::interpolate(raw);
  EXPECT_EQ(c["corpora"]["train"]["path"], "x.spacy");
  EXPECT_DOUBLE_EQ(c["training"]["optimizer"]["lr"].get<double>(), 1e-4);
}

TEST(OverridesErrors, MissingSectionNamesTheKey) {
  Json raw = trfpipe::parse_cfg(kBase);
  auto e = expect_config_error([&] { trfpipe::apply_overrides(raw, {{"nosuch.section.key", "1"}}); });
  EXPECT_TRUE(contains(e.what(), "nosuch.section.key")) << e.what();
  EXPECT_EQ(e.path(), (std::vector<std::string>{"nosuch", "section", "key"}));
}

TEST(OverridesErrors, TopLevelKeyCannotBeOverridden) {
  Json raw = trfpipe::parse_cfg(kBase);
  auto e = expect_config_error([&] { trfpipe::apply_overrides(raw, {{"training", "1"}}); });
  EXPECT_TRUE(contains(e.what(), "training")) << e.what();
}

TEST(OverridesErrors, SectionCannotBecomeAValue) {
  Json raw = trfpipe::parse_cfg(kBase);
  auto e = expect_config_error([&] { trfpipe::apply_overrides(raw, {{"training.optimizer", "5"}}); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"training", "optimizer"}));
}

// --- writer -----------------------------------------------------------------------------------

TEST(CfgWriter, RoundTripsRawTreesWithReferencesAndQuirks) {
  const std::string text =
      "[a]\nx = \"${b.y}/z\"\ny = ${b.y}\nl = [\"\\\"1\\\"\", 2]\nd = {\"k\": 1}\ne = 1\n"
      "f = \"multi\"\n[a.*.second]\nv = 1\n[a.*.first]\nv = 2\n[b]\ny = \"q\"\ns = \"cost $$5\"\n";
  Json raw = trfpipe::parse_cfg(text);
  std::string written = trfpipe::write_cfg(raw);
  EXPECT_EQ(strict_diff(trfpipe::parse_cfg(written), raw), "") << written;
  EXPECT_EQ(strict_diff(trfpipe::load_config(written), interp(text)), "") << written;
}

TEST(CfgWriter, DictBetweenValuesIsWrittenInline) {
  Json tree = Json::parse(R"({"s": {"d": {"k": 1}, "v": 2, "sub": {"w": 3}}})");
  std::string written = trfpipe::write_cfg(tree);
  EXPECT_TRUE(contains(written, "d = {\"k\":1}")) << written;
  EXPECT_TRUE(contains(written, "[s.sub]")) << written;
  EXPECT_EQ(strict_diff(trfpipe::parse_cfg(written), tree), "");
}

TEST(CfgWriterErrors, TopLevelValueAndBadKeys) {
  auto top = expect_config_error([] { trfpipe::write_cfg(Json::parse(R"({"x": 1})")); });
  EXPECT_EQ(top.path(), (std::vector<std::string>{"x"}));
  auto key = expect_config_error([] { trfpipe::write_cfg(Json::parse(R"({"s": {"a=b": 1}})")); });
  EXPECT_EQ(key.path(), (std::vector<std::string>{"s", "a=b"}));
  auto name = expect_config_error([] { trfpipe::write_cfg(Json::parse(R"({"a.b": {}})")); });
  EXPECT_EQ(name.path(), (std::vector<std::string>{"a.b"}));
  EXPECT_THROW(trfpipe::write_cfg(Json::array()), ConfigError);
}

// --- TOML -------------------------------------------------------------------------------------

TEST(Toml, RoundTripKeepsOrderTypesAndNull) {
  Json tree = Json::parse(
      R"({"z": {"b": null, "a": [1, null, 2.5, "s"], "inline": {"@layers": "x"}, "n": -3,
          "*": {"second": {"v": true}, "first": {"v": false}}},
          "a": {"empty": {}, "f": 1e-08, "q": "quote\"\nnew"}})");
  std::string toml = trfpipe::write_toml(tree);
  EXPECT_TRUE(contains(toml, "__null__")) << toml;
  EXPECT_EQ(strict_diff(trfpipe::parse_toml(toml), tree), "") << toml;
}

TEST(TomlErrors, ParseErrorNamesSourceAndLine) {
  auto e = expect_config_error([] { trfpipe::parse_toml("[a]\nx = = 1\n", "c.toml"); });
  EXPECT_TRUE(contains(e.what(), "c.toml, line 2")) << e.what();
}

TEST(TomlErrors, IntegerBeyondInt64) {
  Json tree = {{"a", {{"big", uint64_t{18446744073709551615ULL}}}}};
  EXPECT_THROW(trfpipe::write_toml(tree), ConfigError);
}

TEST(Toml, DatesReadAsStrings) {
  Json c = trfpipe::parse_toml("[a]\nd = 2024-01-02\n");
  EXPECT_EQ(c["a"]["d"], "2024-01-02");
}

// --- files ------------------------------------------------------------------------------------

class ConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trfpipe_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    std::string p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigFiles, MissingFileNamesThePath) {
  std::string p = (dir_ / "nope.cfg").string();
  auto e = expect_config_error([&] { trfpipe::load_config_file(p); });
  EXPECT_TRUE(contains(e.what(), p)) << e.what();
  auto d = expect_config_error([&] { trfpipe::load_config_file(dir_.string()); });
  EXPECT_TRUE(contains(d.what(), "directory")) << d.what();
}

TEST_F(ConfigFiles, ChoosesFormatByExtensionAndAppliesOverrides) {
  std::string cfg = write("c.cfg", kBase);
  Json from_cfg = trfpipe::load_config_file(cfg, {{"paths.train", "t.spacy"}});
  EXPECT_EQ(from_cfg["corpora"]["train"]["path"], "t.spacy");
  std::string toml = write("c.toml", trfpipe::write_toml(trfpipe::parse_cfg(kBase)));
  Json from_toml = trfpipe::load_config_file(toml, {{"paths.train", "t.spacy"}});
  EXPECT_EQ(strict_diff(from_toml, from_cfg), "");
  Json raw = trfpipe::load_config_file(toml, {}, false);
  EXPECT_EQ(raw["corpora"]["train"]["path"], "${paths.train}");
}

TEST_F(ConfigFiles, InterpolationErrorNamesFileAndKeyPath) {
  std::string p = write("ref.cfg", "[paths]\ntrain = ${missing.path}\n");
  auto e = expect_config_error([&] { trfpipe::load_config_file(p); });
  EXPECT_TRUE(contains(e.what(), p)) << e.what();
  EXPECT_EQ(e.path(), (std::vector<std::string>{"paths", "train"}));
}

TEST_F(ConfigFiles, ParseErrorNamesTheFile) {
  std::string p = write("bad.cfg", "[a]\nx = 1\nx = 2\n");
  auto e = expect_config_error([&] { trfpipe::load_config_file(p); });
  EXPECT_TRUE(contains(e.what(), p + ", line 3")) << e.what();
}

}  // namespace
