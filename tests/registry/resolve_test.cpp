#include <gtest/gtest.h>

#include <stdexcept>

#include "registry/fixtures.hpp"

using namespace trfpipe;
using namespace trfpipe::registry;
using trfpipe::registry::testing::config_error;
using trfpipe::registry::testing::define;
using trfpipe::registry::testing::made;
using trfpipe::registry::testing::MadePtr;

namespace {

// Fixture functions (test-local names) used across this file.
class Resolve : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    define("architectures", "test.Tagger.v1",
           {arg("tok2vec", "Model"), arg("nO", "int", nullptr), arg("normalize", "bool", false)});
    define("architectures", "test.Listener.v1", {arg("width", "int"), arg("upstream", "str", "*")});
    define("architectures", "test.Parser.v1",
           {arg("tok2vec", "Model"), arg("hidden_width", "int"), arg("dropout", "float", 0.1),
            arg("state_type", "str"), arg("pooling", "Model", Json{{"@layers", "test.reduce_mean.v1"}})});
    define("layers", "test.reduce_mean.v1", {});
    define("layers", "test.chain.v1", {arg("*", "Model")});
    define("layers", "test.relu.v1", {arg("nO", "int", nullptr)});
    define("layers", "test.concat.v1", {arg("layers", "list[Model]")});
    define("layers", "test.anything.v1", {arg("x", "any")});
    define("misc", "test.Kwargs.v1", {arg("a", "int")}, /*accepts_extra_args=*/true);
    define("misc", "test.Labels.v1", {arg("labels", "list"), arg("weights", "dict", Json::object())});
    define("schedules", "test.constant.v1", {arg("rate", "float")});
    define("optimizers", "test.Adam.v1", {arg("learn_rate", "float|Schedule", 0.001)});
    define("readers", "test.Corpus.v1", {arg("path", "str|null"), arg("limit", "int", 0)});
  }
};

Json parse(const char* text) { return Json::parse(text); }

std::string what_of(const ConfigError& e) { return e.what(); }

}  // namespace

TEST_F(Resolve, NonPromiseSectionsListsAndScalarsKeepTheirShape) {
  Value v = resolve(parse(R"({"nlp": {"lang": "en", "pipeline": ["tagger", "ner"], "batch_size": 1000,
                               "x": null}})"));
  ASSERT_TRUE(v.is_section());
  const Value& nlp = v.at("nlp");
  EXPECT_TRUE(nlp.is_section());
  EXPECT_EQ(nlp.at("lang").as<std::string>(), "en");
  EXPECT_TRUE(nlp.at("pipeline").is_list());
  EXPECT_EQ(nlp.at("pipeline").as<std::vector<std::string>>(), (std::vector<std::string>{"tagger", "ner"}));
  EXPECT_EQ(nlp.at("batch_size").as<int>(), 1000);
  EXPECT_TRUE(nlp.at("x").is_null());
  EXPECT_EQ(nlp.items()[0].first, "lang");
}

TEST_F(Resolve, NestedPromisesBecomeObjectsWithTheirArguments) {
  Value v = resolve(parse(R"({"components": {"tagger": {"factory": "tagger", "model": {
      "@architectures": "test.Tagger.v1", "nO": 17,
      "tok2vec": {"@architectures": "test.Listener.v1", "width": 96}}}}})"));
  const Value& model = v.at("components").at("tagger").at("model");
  ASSERT_TRUE(model.is_object());
  EXPECT_EQ(model.made_by(), "@architectures test.Tagger.v1");
  MadePtr tagger = made(model);
  EXPECT_EQ(tagger->name, "test.Tagger.v1");
  EXPECT_EQ(tagger->path, (std::vector<std::string>{"components", "tagger", "model"}));
  // Declared order with the default filled in.
  ASSERT_EQ(tagger->args.items().size(), 3u);
  EXPECT_EQ(tagger->args.items()[0].first, "tok2vec");
  EXPECT_EQ(tagger->args.items()[1].first, "nO");
  EXPECT_EQ(get_int(tagger->args, "nO"), 17);
  EXPECT_FALSE(get_bool(tagger->args, "normalize"));
  MadePtr listener = made(tagger->args.at("tok2vec"));
  EXPECT_EQ(listener->name, "test.Listener.v1");
  EXPECT_EQ(get_int(listener->args, "width"), 96);
  EXPECT_EQ(get_str(listener->args, "upstream"), "*");
  EXPECT_EQ(v.at("components").at("tagger").at("factory").as<std::string>(), "tagger");
}

TEST_F(Resolve, InnerPromisesAreMadeFirst) {
  static std::vector<std::string> order;
  order.clear();
  for (const char* name : {"test.order.outer.v1", "test.order.inner.v1"}) {
    Function f;
    f.name = name;
    if (std::string(name) == "test.order.outer.v1") f.args = {arg("inner", "Model")};
    f.make = [name](const Value&, const std::vector<std::string>&) {
      order.push_back(name);
      return std::any(0);
    };
    get("layers").add(std::move(f));
  }
  resolve(parse(R"({"m": {"@layers": "test.order.outer.v1", "inner": {"@layers": "test.order.inner.v1"}}})"));
  EXPECT_EQ(order, (std::vector<std::string>{"test.order.inner.v1", "test.order.outer.v1"}));
}

TEST_F(Resolve, TopLevelPromiseBlockResolvesToItsObject) {
  Value v = resolve(parse(R"({"@architectures": "test.Listener.v1", "width": 8})"),
                    {"components", "tagger", "model"});
  ASSERT_TRUE(v.is_object());
  EXPECT_EQ(made(v)->path, (std::vector<std::string>{"components", "tagger", "model"}));
}

TEST_F(Resolve, ListsContainingPromises) {
  Value v = resolve(parse(R"({"m": {"@layers": "test.concat.v1",
      "layers": [{"@layers": "test.relu.v1", "nO": 4}, {"@layers": "test.reduce_mean.v1"}]}})"));
  MadePtr concat = made(v.at("m"));
  const Value& layers = concat->args.at("layers");
  ASSERT_TRUE(layers.is_list());
  ASSERT_EQ(layers.elements().size(), 2u);
  EXPECT_EQ(made(layers.elements()[0])->name, "test.relu.v1");
  EXPECT_EQ(get_int(made(layers.elements()[0])->args, "nO"), 4);
  EXPECT_EQ(made(layers.elements()[1])->name, "test.reduce_mean.v1");
  EXPECT_THROW(layers.json(), Error);  // objects inside: no JSON form
}

TEST_F(Resolve, MixedListKeepsScalarsNextToObjects) {
  Value v = resolve(parse(R"({"l": [1, {"@layers": "test.reduce_mean.v1"}, "x"]})"));
  const auto& e = v.at("l").elements();
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].as<int>(), 1);
  EXPECT_TRUE(e[1].is_object());
  EXPECT_EQ(e[2].as<std::string>(), "x");
}

TEST_F(Resolve, InlineDictArgumentBecomesSection) {
  Value v = resolve(parse(R"({"m": {"@misc": "test.Labels.v1", "labels": ["A", "B"],
                               "weights": {"A": 0.5, "B": {"@schedules": "test.constant.v1", "rate": 1}}}})"));
  MadePtr m = made(v.at("m"));
  EXPECT_EQ(get_str_list(m->args, "labels"), (std::vector<std::string>{"A", "B"}));
  const Value& weights = m->args.at("weights");
  ASSERT_TRUE(weights.is_section());
  EXPECT_DOUBLE_EQ(weights.at("A").as<double>(), 0.5);
  EXPECT_EQ(made(weights.at("B"))->name, "test.constant.v1");
}

TEST_F(Resolve, PositionalSectionsKeepConfigOrder) {
  // [m.*.zeta] before [m.*.alpha]: config order, not name order.
  Value v = resolve(parse(R"({"m": {"@layers": "test.chain.v1", "*": {
      "zeta": {"@layers": "test.relu.v1", "nO": 1},
      "alpha": {"@layers": "test.relu.v1", "nO": 2},
      "mid": {"@layers": "test.reduce_mean.v1"}}}})"));
  MadePtr chain = made(v.at("m"));
  const Value& positional = chain->args.at("*");
  ASSERT_TRUE(positional.is_list());
  ASSERT_EQ(positional.elements().size(), 3u);
  EXPECT_EQ(get_int(made(positional.elements()[0])->args, "nO"), 1);
  EXPECT_EQ(get_int(made(positional.elements()[1])->args, "nO"), 2);
  EXPECT_EQ(made(positional.elements()[2])->name, "test.reduce_mean.v1");
  EXPECT_EQ(made(positional.elements()[1])->path, (std::vector<std::string>{"m", "*", "alpha"}));
}

TEST_F(Resolve, PositionalListAndAbsentPositionals) {
  Value v = resolve(parse(R"({"a": {"@layers": "test.chain.v1", "*": [{"@layers": "test.relu.v1", "nO": 5}]},
                               "b": {"@layers": "test.chain.v1"}})"));
  const Value& a = made(v.at("a"))->args.at("*");
  ASSERT_EQ(a.elements().size(), 1u);
  EXPECT_EQ(get_int(made(a.elements()[0])->args, "nO"), 5);
  EXPECT_TRUE(made(v.at("b"))->args.at("*").elements().empty());
}

TEST_F(Resolve, PositionalElementOfWrongTypeNamesItsPath) {
  ConfigError e = config_error([] { resolve(parse(R"({"m": {"@layers": "test.chain.v1", "*": [3]}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "*", "0"}));
  EXPECT_EQ(e.message(), "expected Model, got 3");
}

TEST_F(Resolve, PositionalsThatAreNeitherSectionsNorListFail) {
  ConfigError e = config_error([] { resolve(parse(R"({"m": {"@layers": "test.chain.v1", "*": 3}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "*"}));
}

TEST_F(Resolve, PositionalsForAFunctionWithoutThemAreUnexpected) {
  ConfigError e = config_error(
      [] { resolve(parse(R"({"m": {"@layers": "test.relu.v1", "*": {"x": {"@layers": "test.reduce_mean.v1"}}}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "*"}));
  EXPECT_NE(e.message().find("unexpected argument"), std::string::npos) << e.what();
}

TEST_F(Resolve, TwoReferenceKeysInOneBlockNameThePath) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"components": {"x": {"model": {"@layers": "test.reduce_mean.v1",
                                                      "@architectures": "test.Tagger.v1"}}}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"components", "x", "model"}));
  EXPECT_NE(e.message().find("only contain one function registry reference"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("@layers, @architectures"), std::string::npos) << e.what();
}

TEST_F(Resolve, UnknownArgumentNamesFullPathAndTheDeclaredOnes) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"components": {"ner": {"model": {"@architectures": "test.Parser.v1",
        "hiden_width": 64, "state_type": "ner",
        "tok2vec": {"@architectures": "test.Listener.v1", "width": 8}}}}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"components", "ner", "model", "hiden_width"}));
  EXPECT_EQ(what_of(e).rfind("components -> ner -> model -> hiden_width: unexpected argument", 0), 0u) << e.what();
  EXPECT_NE(e.message().find("hidden_width"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("test.Parser.v1"), std::string::npos) << e.what();
}

TEST_F(Resolve, MissingRequiredArgumentNamesPathAndType) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"components": {"ner": {"model": {"@architectures": "test.Parser.v1", "state_type": "ner",
        "tok2vec": {"@architectures": "test.Listener.v1", "width": 8}}}}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"components", "ner", "model", "hidden_width"}));
  EXPECT_NE(e.message().find("missing required argument"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("expected int"), std::string::npos) << e.what();
}

TEST_F(Resolve, NestedMissingArgumentNamesTheNestedPath) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"model": {"@architectures": "test.Tagger.v1", "tok2vec": {"@architectures": "test.Listener.v1"}}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"model", "tok2vec", "width"}));
}

TEST_F(Resolve, ObjectArgumentGivenAScalarFails) {
  ConfigError e = config_error([] { resolve(parse(R"({"model": {"@architectures": "test.Tagger.v1", "tok2vec": 3}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"model", "tok2vec"}));
  EXPECT_EQ(e.message(), "expected Model, got 3");
}

TEST_F(Resolve, ScalarTypesAreChecked) {
  auto listener = [](const char* width) {
    return parse((std::string(R"({"m": {"@architectures": "test.Listener.v1", "width": )") + width + "}}").c_str());
  };
  EXPECT_EQ(config_error([&] { resolve(listener("2.5")); }).message(), "expected int, got 2.5");
  EXPECT_EQ(config_error([&] { resolve(listener("\"8\"")); }).message(), "expected int, got \"8\"");
  EXPECT_EQ(config_error([&] { resolve(listener("true")); }).message(), "expected int, got true");
  EXPECT_EQ(config_error([&] { resolve(listener("[8]")); }).message(), "expected int, got a list");
  EXPECT_EQ(config_error([&] { resolve(listener(R"({"@layers": "test.reduce_mean.v1"})")); }).message(),
            "expected int, got an object made by @layers test.reduce_mean.v1");
  EXPECT_EQ(config_error([] { resolve(parse(R"({"m": {"@architectures": "test.Tagger.v1",
      "tok2vec": {"@layers": "test.reduce_mean.v1"}, "normalize": 1}})")); }).message(),
            "expected bool, got 1");
  EXPECT_EQ(config_error([] { resolve(parse(R"({"m": {"@misc": "test.Labels.v1", "labels": {"a": 1}}})")); }).message(),
            "expected list, got a section");
  EXPECT_EQ(config_error([] { resolve(parse(R"({"m": {"@misc": "test.Labels.v1", "labels": [], "weights": []}})")); }).message(),
            "expected dict, got a list");
}

TEST_F(Resolve, FloatAcceptsIntegersAndUnionsAcceptEachAlternative) {
  Value v = resolve(parse(R"({"s": {"@schedules": "test.constant.v1", "rate": 2},
      "o1": {"@optimizers": "test.Adam.v1", "learn_rate": 0.01},
      "o2": {"@optimizers": "test.Adam.v1", "learn_rate": {"@schedules": "test.constant.v1", "rate": 0.5}}})"));
  EXPECT_DOUBLE_EQ(get_float(made(v.at("s"))->args, "rate"), 2.0);
  EXPECT_DOUBLE_EQ(get_float(made(v.at("o1"))->args, "learn_rate"), 0.01);
  EXPECT_TRUE(made(v.at("o2"))->args.at("learn_rate").is_object());
  EXPECT_EQ(config_error([] { resolve(parse(R"({"o": {"@optimizers": "test.Adam.v1", "learn_rate": "fast"}})")); })
                .message(),
            "expected float|Schedule, got \"fast\"");
}

TEST_F(Resolve, ListOfTypeChecksElements) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"m": {"@layers": "test.concat.v1", "layers": [{"@layers": "test.reduce_mean.v1"}, 2]}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "layers"}));
  EXPECT_EQ(e.message(), "expected list[Model], got a list");
}

TEST_F(Resolve, NullAcceptedWhereDefaultIsNullOrTypeAllowsIt) {
  Value v = resolve(parse(R"({"m": {"@layers": "test.relu.v1", "nO": null},
                               "c": {"@readers": "test.Corpus.v1", "path": null},
                               "a": {"@layers": "test.anything.v1", "x": null}})"));
  EXPECT_TRUE(is_null(made(v.at("m"))->args, "nO"));
  EXPECT_TRUE(is_null(made(v.at("c"))->args, "path"));
  EXPECT_TRUE(is_null(made(v.at("a"))->args, "x"));
}

TEST_F(Resolve, NullRejectedWhereArgumentIsRequired) {
  ConfigError e = config_error([] { resolve(parse(R"({"m": {"@architectures": "test.Listener.v1", "width": null}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "width"}));
  EXPECT_EQ(e.message(), "expected int, got null");
}

TEST_F(Resolve, DefaultsAreFilledAndPromiseDefaultsResolved) {
  Value v = resolve(parse(R"({"m": {"@architectures": "test.Parser.v1", "hidden_width": 64, "state_type": "ner",
                                    "tok2vec": {"@architectures": "test.Listener.v1", "width": 8}}})"));
  MadePtr parser = made(v.at("m"));
  EXPECT_DOUBLE_EQ(get_float(parser->args, "dropout"), 0.1);
  const Value& pooling = parser->args.at("pooling");
  ASSERT_TRUE(pooling.is_object());
  EXPECT_EQ(made(pooling)->name, "test.reduce_mean.v1");
  EXPECT_EQ(made(pooling)->path, (std::vector<std::string>{"m", "pooling"}));
  std::vector<std::string> keys;
  for (const auto& item : parser->args.items()) keys.push_back(item.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"tok2vec", "hidden_width", "dropout", "state_type", "pooling"}));
}

TEST_F(Resolve, GivenValueOverridesPromiseDefault) {
  Value v = resolve(parse(R"({"m": {"@architectures": "test.Parser.v1", "hidden_width": 64, "state_type": "ner",
      "tok2vec": {"@architectures": "test.Listener.v1", "width": 8},
      "pooling": {"@layers": "test.relu.v1", "nO": 3}}})"));
  EXPECT_EQ(made(made(v.at("m"))->args.at("pooling"))->name, "test.relu.v1");
}

TEST_F(Resolve, ExtraArgumentsPassedWhenAccepted) {
  Value v = resolve(parse(R"({"m": {"@misc": "test.Kwargs.v1", "z": {"@layers": "test.reduce_mean.v1"}, "a": 1, "b": "x"}})"));
  MadePtr m = made(v.at("m"));
  std::vector<std::string> keys;
  for (const auto& item : m->args.items()) keys.push_back(item.first);
  EXPECT_EQ(keys, (std::vector<std::string>{"a", "z", "b"}));  // declared first, then extras as given
  EXPECT_TRUE(m->args.at("z").is_object());
  EXPECT_EQ(get_str(m->args, "b"), "x");
}

TEST_F(Resolve, UnknownFunctionListsAvailableNames) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"components": {"tagger": {"model": {"@architectures": "test.Tager.v1"}}}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"components", "tagger", "model"}));
  EXPECT_EQ(e.message().rfind("Can't find 'test.Tager.v1' in registry architectures. Available names: ", 0), 0u)
      << e.what();
  EXPECT_NE(e.message().find("test.Tagger.v1"), std::string::npos) << e.what();
}

TEST_F(Resolve, UnknownRegistryListsRegistries) {
  ConfigError e = config_error([] { resolve(parse(R"({"m": {"@architecture": "test.Tagger.v1"}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m"}));
  EXPECT_NE(e.message().find("'architecture'"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("architectures, "), std::string::npos) << e.what();
}

TEST_F(Resolve, FunctionNameMustBeAString) {
  ConfigError e = config_error([] { resolve(parse(R"({"m": {"@layers": 3}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "@layers"}));
}

TEST_F(Resolve, ExceptionsFromMakeAreWrappedWithThePath) {
  Function f;
  f.name = "test.throws.v1";
  f.args = {arg("width", "int")};
  f.make = [](const Value& args, const std::vector<std::string>&) -> std::any {
    if (get_int(args, "width") < 0) throw std::runtime_error("width must be positive");
    throw ValueError("other");
  };
  get("layers").add(f);
  ConfigError e = config_error([] { resolve(parse(R"({"a": {"b": {"@layers": "test.throws.v1", "width": -1}}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"a", "b"}));
  EXPECT_NE(e.message().find("width must be positive"), std::string::npos) << e.what();
  EXPECT_NE(e.message().find("@layers \"test.throws.v1\""), std::string::npos) << e.what();
  ConfigError e2 = config_error([] { resolve(parse(R"({"a": {"@layers": "test.throws.v1", "width": 1}})")); });
  EXPECT_NE(e2.message().find("other"), std::string::npos) << e2.what();
}

TEST_F(Resolve, NonStandardExceptionsFromMakeAreWrappedToo) {
  Function f;
  f.name = "test.throws_int.v1";
  f.make = [](const Value&, const std::vector<std::string>&) -> std::any { throw 42; };
  get("layers").add(f);
  ConfigError e = config_error([] { resolve(parse(R"({"a": {"@layers": "test.throws_int.v1"}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"a"}));
  EXPECT_NE(e.message().find("unknown exception"), std::string::npos) << e.what();
}

TEST_F(Resolve, ConfigErrorsFromMakePassThroughUnchanged) {
  Function f;
  f.name = "test.config_error.v1";
  f.make = [](const Value&, const std::vector<std::string>& path) -> std::any {
    std::vector<std::string> p = path;
    p.push_back("inner");
    throw ConfigError(p, "own message");
  };
  get("layers").add(f);
  ConfigError e = config_error([] { resolve(parse(R"({"x": {"@layers": "test.config_error.v1"}})")); });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"x", "inner"}));
  EXPECT_EQ(e.message(), "own message");
}

TEST_F(Resolve, ErrorsInsideListsNameTheIndex) {
  ConfigError e = config_error([] {
    resolve(parse(R"({"m": {"@layers": "test.concat.v1", "layers": [{"@layers": "test.reduce_mean.v1"},
                                                                   {"@layers": "test.relu.v1", "n0": 3}]}})"));
  });
  EXPECT_EQ(e.path(), (std::vector<std::string>{"m", "layers", "1", "n0"}));
}
