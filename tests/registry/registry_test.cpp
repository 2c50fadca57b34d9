#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "registry/fixtures.hpp"

using namespace trfpipe;
using namespace trfpipe::registry;
using trfpipe::registry::testing::define;

TEST(Registry, AddHasGetNames) {
  Registry r("architectures_local");
  EXPECT_FALSE(r.has("b.v1"));
  Function f;
  f.name = "b.v1";
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  r.add(f);
  f.name = "a.v1";
  r.add(f);
  EXPECT_TRUE(r.has("b.v1"));
  EXPECT_EQ(r.get("b.v1").name, "b.v1");
  EXPECT_EQ(r.get("b.v1").registry, "architectures_local");  // filled in by add
  EXPECT_EQ(r.names(), (std::vector<std::string>{"a.v1", "b.v1"}));
}

TEST(Registry, LaterAddReplacesAndOldReferenceStaysValid) {
  Registry r("layers_local");
  Function f;
  f.name = "x.v1";
  f.returns = "first";
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  r.add(f);
  const Function& first = r.get("x.v1");
  f.returns = "second";
  r.add(f);
  EXPECT_EQ(r.get("x.v1").returns, "second");
  EXPECT_EQ(first.returns, "first");
  EXPECT_EQ(r.names().size(), 1u);
}

TEST(Registry, UnknownNameListsAvailableNames) {
  Registry r("architectures");
  Function f;
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  f.name = "spacy.Tagger.v2";
  r.add(f);
  f.name = "spacy.Tok2Vec.v2";
  r.add(f);
  try {
    r.get("spacy.Tager.v2");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "Can't find 'spacy.Tager.v2' in registry architectures. Available names: "
              "spacy.Tagger.v2, spacy.Tok2Vec.v2");
  }
}

TEST(Registry, UnknownVersionListsTheKnownVersionsFirst) {
  Registry r("architectures");
  Function f;
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  for (const char* name : {"spacy.Tagger.v1", "spacy.Tagger.v2", "spacy.Tok2Vec.v2"}) {
    f.name = name;
    r.add(f);
  }
  try {
    r.get("spacy.Tagger.v3");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "Can't find 'spacy.Tagger.v3' in registry architectures. Known versions: "
              "spacy.Tagger.v1, spacy.Tagger.v2. Available names: spacy.Tagger.v1, "
              "spacy.Tagger.v2, spacy.Tok2Vec.v2");
  }
}

TEST(Registry, AddRejectsBadFunctions) {
  Registry r("misc_local");
  Function f;
  f.name = "x.v1";
  EXPECT_THROW(r.add(f), Error);  // no make
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  f.name = "";
  EXPECT_THROW(r.add(f), Error);  // no name
  f.name = "x.v1";
  f.args = {arg("a", "int"), arg("a", "str")};
  EXPECT_THROW(r.add(f), Error);  // duplicate argument
  f.args = {arg("", "int")};
  EXPECT_THROW(r.add(f), Error);  // unnamed argument
  EXPECT_FALSE(r.has("x.v1"));
}

TEST(Registry, AddRejectsPythonTypeSpellings) {
  Registry r("misc_types");
  Function f;
  f.name = "x.v1";
  f.make = [](const Value&, const std::vector<std::string>&) { return std::any(1); };
  for (const char* bad : {"Optional[int]", "List[str]", "Union[int, str]", "Dict", "integer", "list[string]",
                          "float|Optional[Schedule]"}) {
    f.args = {arg("a", bad)};
    try {
      r.add(f);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::string("argument 'a'")), std::string::npos) << e.what();
    }
  }
  for (const char* good : {"int", "float|Schedule", "list[str|int]", "str|null", "Model[List[Doc], Floats2d]",
                           "Callable", "any", ""}) {
    f.args = {arg("a", good)};
    EXPECT_NO_THROW(r.add(f)) << good;
  }
}

TEST(Registries, AllNamedRegistriesExist) {
  for (const char* name : {"factories", "architectures", "layers", "span_getters", "annotation_setters",
                           "batchers", "optimizers", "schedules", "readers", "scorers", "loggers", "misc",
                           "callbacks", "tokenizers", "initializers", "losses"}) {
    EXPECT_EQ(get(name).name(), name);
  }
  std::vector<std::string> names = registry_names();
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
  EXPECT_NE(std::find(names.begin(), names.end(), "span_getters"), names.end());
}

TEST(Registries, SameRegistryEachTime) {
  EXPECT_EQ(&get("layers"), &get("layers"));
  EXPECT_NE(&get("layers"), &get("architectures"));
}

TEST(Registries, UnknownRegistryListsThem) {
  try {
    get("architecture");
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("'architecture'"), std::string::npos) << what;
    EXPECT_NE(what.find("architectures"), std::string::npos) << what;
    EXPECT_NE(what.find("span_getters"), std::string::npos) << what;
  }
}

TEST(Registries, ConcurrentAddAndGetAreSafe) {
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &found] {
      for (int i = 0; i < 200; ++i) {
        std::string name = "test.concurrent" + std::to_string(t) + "_" + std::to_string(i) + ".v1";
        define("callbacks", name, {});
        if (get("callbacks").has(name) && get("callbacks").get(name).name == name) ++found;
        get("callbacks").names();
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(found.load(), 800);
}

TEST(ArgHelpers, ArgBuildsRequiredAndDefaulted) {
  ArgSpec required = arg("width", "int");
  EXPECT_EQ(required.name, "width");
  EXPECT_EQ(required.type, "int");
  EXPECT_FALSE(required.default_value.has_value());
  ArgSpec null_default = arg("nO", "int", nullptr);
  ASSERT_TRUE(null_default.default_value.has_value());
  EXPECT_TRUE(null_default.default_value->is_null());
  ArgSpec str_default = arg("upstream", "str", "*");
  EXPECT_EQ(*str_default.default_value, Json("*"));
  ArgSpec promise_default = arg("pooling", "Model", Json{{"@layers", "reduce_mean.v1"}});
  EXPECT_EQ((*promise_default.default_value)["@layers"], "reduce_mean.v1");
}

TEST(ArgHelpers, TypedGettersRead) {
  Value args = Value::from_json(Json::parse(
      R"({"i": 3, "f": 0.5, "fi": 2, "b": true, "s": "x", "l": ["a", "b"], "n": null})"));
  EXPECT_EQ(get_int(args, "i"), 3);
  EXPECT_DOUBLE_EQ(get_float(args, "f"), 0.5);
  EXPECT_DOUBLE_EQ(get_float(args, "fi"), 2.0);
  EXPECT_TRUE(get_bool(args, "b"));
  EXPECT_EQ(get_str(args, "s"), "x");
  EXPECT_EQ(get_str_list(args, "l"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(is_null(args, "n"));
  EXPECT_FALSE(is_null(args, "i"));
}

TEST(ArgHelpers, TypedGettersThrowNamingTheArgument) {
  Value args = Value::from_json(Json::parse(R"({"i": 3, "f": 0.5, "s": "x", "l": ["a", 1]})"));
  auto expect_error = [](auto&& f, const std::string& needle) {
    try {
      f();
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error([&] { get_int(args, "f"); }, "'f': expected int, got 0.5");
  expect_error([&] { get_int(args, "missing"); }, "'missing' is missing");
  expect_error([&] { get_float(args, "s"); }, "'s': expected float");
  expect_error([&] { get_bool(args, "i"); }, "'i': expected bool, got 3");
  expect_error([&] { get_str(args, "i"); }, "'i': expected str");
  expect_error([&] { get_str_list(args, "l"); }, "'l': expected a list of strings, got 1");
  expect_error([&] { get_str_list(args, "s"); }, "'s': expected a list of strings");
  expect_error([&] { is_null(args, "nope"); }, "'nope' is missing");
  expect_error([&] { get_int(Value::from_json(1), "x"); }, "not a section");
}
