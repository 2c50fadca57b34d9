#include <gtest/gtest.h>

#include "registry/fixtures.hpp"

using namespace trfpipe;
using namespace trfpipe::registry;
using trfpipe::registry::testing::config_error;
using trfpipe::registry::testing::define;
using trfpipe::registry::testing::keys;

namespace {

class FillDefaults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    define("architectures", "fill.Tagger.v1",
           {arg("tok2vec", "Model"), arg("nO", "int", nullptr), arg("normalize", "bool", false)});
    define("architectures", "fill.Listener.v1",
           {arg("width", "int"), arg("upstream", "str", "*"),
            arg("pooling", "Model", Json{{"@layers", "fill.reduce.v1"}})});
    define("layers", "fill.reduce.v1", {arg("axis", "int", 1), arg("keepdims", "bool", false)});
    define("layers", "fill.chain.v1", {arg("*", "Model"), arg("name", "str", "chain")});
    define("misc", "fill.Kwargs.v1", {arg("a", "int", 1)}, true);
  }
};

Json parse(const char* text) { return Json::parse(text); }

}  // namespace

TEST_F(FillDefaults, AddsMissingDefaultsAfterGivenKeysInDeclarationOrder) {
  Json filled = fill_defaults(parse(R"({"model": {"@architectures": "fill.Tagger.v1",
      "tok2vec": {"@layers": "fill.reduce.v1", "keepdims": true}}})"));
  EXPECT_EQ(keys(filled["model"]), (std::vector<std::string>{"@architectures", "tok2vec", "nO", "normalize"}));
  EXPECT_TRUE(filled["model"]["nO"].is_null());
  EXPECT_EQ(filled["model"]["normalize"], false);
  // Nested given promise filled too, its given value kept.
  EXPECT_EQ(keys(filled["model"]["tok2vec"]), (std::vector<std::string>{"@layers", "keepdims", "axis"}));
  EXPECT_EQ(filled["model"]["tok2vec"]["keepdims"], true);
  EXPECT_EQ(filled["model"]["tok2vec"]["axis"], 1);
}

TEST_F(FillDefaults, GivenValuesStayAsGiven) {
  Json tree = parse(R"({"model": {"@architectures": "fill.Tagger.v1", "normalize": true, "nO": 5,
      "tok2vec": {"@layers": "fill.reduce.v1", "axis": 2, "keepdims": false}}})");
  EXPECT_EQ(fill_defaults(tree), tree);
}

TEST_F(FillDefaults, RecursesIntoPromiseDefaults) {
  Json filled = fill_defaults(parse(R"({"t": {"@architectures": "fill.Listener.v1", "width": 8}})"));
  EXPECT_EQ(filled, parse(R"({"t": {"@architectures": "fill.Listener.v1", "width": 8, "upstream": "*",
      "pooling": {"@layers": "fill.reduce.v1", "axis": 1, "keepdims": false}}})"));
  EXPECT_EQ(keys(filled["t"]["pooling"]), (std::vector<std::string>{"@layers", "axis", "keepdims"}));
}

TEST_F(FillDefaults, FillsPositionalSectionsListsAndSectionsBelowThem) {
  Json filled = fill_defaults(parse(R"({"a": {"b": {"@layers": "fill.chain.v1",
      "*": {"z": {"@layers": "fill.reduce.v1"}, "y": {"@layers": "fill.reduce.v1", "axis": 0}}}},
      "l": [{"@layers": "fill.reduce.v1"}, 3]})"));
  const Json& chain = filled["a"]["b"];
  EXPECT_EQ(keys(chain), (std::vector<std::string>{"@layers", "*", "name"}));
  EXPECT_EQ(keys(chain["*"]), (std::vector<std::string>{"z", "y"}));
  EXPECT_EQ(chain["*"]["z"]["axis"], 1);
  EXPECT_EQ(chain["*"]["y"]["axis"], 0);
  EXPECT_EQ(filled["l"][0]["keepdims"], false);
  EXPECT_EQ(filled["l"][1], 3);
}

TEST_F(FillDefaults, SectionsWithoutPromisesAreUntouched) {
  Json tree = parse(R"({"nlp": {"lang": "en", "pipeline": ["a"], "x": null},
                        "training": {"score_weights": {"b": 0.5, "a": null}}, "empty": {}})");
  Json filled = fill_defaults(tree);
  EXPECT_EQ(filled, tree);
  EXPECT_EQ(keys(filled["training"]["score_weights"]), (std::vector<std::string>{"b", "a"}));
}

TEST_F(FillDefaults, DoesNotCheckTypes) {
  Json tree = parse(R"({"m": {"@layers": "fill.reduce.v1", "axis": "abc", "keepdims": 3}})");
  EXPECT_EQ(fill_defaults(tree), tree);
}

TEST_F(FillDefaults, ExtraArgumentsKeptWhenAccepted) {
  Json filled = fill_defaults(parse(R"({"m": {"@misc": "fill.Kwargs.v1", "q": {"@layers": "fill.reduce.v1"}}})"));
  EXPECT_EQ(keys(filled["m"]), (std::vector<std::string>{"@misc", "q", "a"}));
  EXPECT_EQ(filled["m"]["q"]["axis"], 1);
}

TEST_F(FillDefaults, UnknownFunctionListsAvailableNames) {
  ConfigError e = config_error([] { fill_defaults(parse(R"({"x": {"y": {"@layers": "fill.reduse.v1"}}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"x", "y"}));
  EXPECT_NE(e.message().find("Can't find 'fill.reduse.v1' in registry layers. Available names: "), std::string::npos)
      << e.what();
  EXPECT_NE(e.message().find("fill.reduce.v1"), std::string::npos) << e.what();
}

TEST_F(FillDefaults, UnknownRegistryFails) {
  ConfigError e = config_error([] { fill_defaults(parse(R"({"x": {"@layer": "fill.reduce.v1"}})")); });
  EXPECT_NE(e.message().find("Available registries"), std::string::npos) << e.what();
}

TEST_F(FillDefaults, TwoReferenceKeysFail) {
  ConfigError e = config_error(
      [] { fill_defaults(parse(R"({"x": {"@layers": "fill.reduce.v1", "@misc": "fill.Kwargs.v1"}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"x"}));
}

TEST_F(FillDefaults, UnexpectedArgumentFails) {
  ConfigError e = config_error([] { fill_defaults(parse(R"({"x": {"@layers": "fill.reduce.v1", "axes": 1}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"x", "axes"}));
  EXPECT_NE(e.message().find("unexpected argument"), std::string::npos) << e.what();
}

TEST_F(FillDefaults, MissingRequiredArgumentFails) {
  ConfigError e = config_error([] { fill_defaults(parse(R"({"x": {"@architectures": "fill.Listener.v1"}})"), {"root"}); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"root", "x", "width"}));
  EXPECT_NE(e.message().find("expected int"), std::string::npos) << e.what();
}
