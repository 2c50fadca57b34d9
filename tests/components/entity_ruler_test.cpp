// entity_ruler and future_entity_ruler, table-driven from spaCy's
// spacy/tests/pipeline/test_entity_ruler.py: every case runs against both factories, as spaCy's
// ENTITY_RULERS parametrisation does.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "common/temp_dir.hpp"
#include "components/register.hpp"
#include "pipeline/error_of.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_lines.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/retokenize.hpp"
#include "trfpipe/rulers.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;

namespace {

Json J(const char* text) { return Json::parse(text); }

// spaCy's `patterns` fixture.
Json fixture_patterns() {
  return J(R"([
    {"label": "HELLO", "pattern": "hello world"},
    {"label": "BYE", "pattern": [{"LOWER": "bye"}, {"LOWER": "bye"}]},
    {"label": "HELLO", "pattern": [{"ORTH": "HELLO"}]},
    {"label": "COMPLEX", "pattern": [{"ORTH": "foo", "OP": "*"}]},
    {"label": "TECH_ORG", "pattern": "Apple", "id": "a1"},
    {"label": "TECH_ORG", "pattern": "Microsoft", "id": "a2"}])");
}

// spaCy's add_ent component: doc.ents = [doc[0:3] as ORG].
class AddEnt : public Pipe {
 public:
  AddEnt() : Pipe("add_ent") {}
  std::any predict(const std::vector<Doc*>&) override { return {}; }
  void set_annotations(const std::vector<Doc*>& docs, const std::any&) override {
    for (Doc* d : docs) d->set_ents({d->span(0, 3, "ORG")});
  }
};

struct Ent {
  std::string text, label, id;
  bool operator==(const Ent& o) const { return text == o.text && label == o.label && id == o.id; }
  friend std::ostream& operator<<(std::ostream& os, const Ent& e) {
    return os << "(" << e.text << ", " << e.label << ", " << e.id << ")";
  }
};

std::vector<Ent> ents(Doc& doc) {
  std::vector<Ent> out;
  for (const Span& e : doc.ents()) {
    hash_t id = doc.tokens()[e.start()].ent_id;
    out.push_back({std::string(e.text()), e.label_(), id ? doc.vocab().strings()[id] : ""});
  }
  return out;
}

class EntityRulers : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { register_components(); }
  std::unique_ptr<Language> nlp = Language::blank("en");
  PatternRuler& add(const Json& config = Json::object(), const AddPipeOptions& where = {}) {
    return dynamic_cast<PatternRuler&>(nlp->add_pipe(GetParam(), "entity_ruler", config, where));
  }
};

}  // namespace

TEST_P(EntityRulers, LabelsLengthAndMatching) {
  PatternRuler& ruler = add();
  ruler.add_patterns(fixture_patterns());
  EXPECT_EQ(ruler.size(), 6u);
  EXPECT_EQ(ruler.labels(), (std::vector<std::string>{"BYE", "COMPLEX", "HELLO", "TECH_ORG"}));
  EXPECT_TRUE(ruler.contains("HELLO"));
  EXPECT_TRUE(ruler.contains("BYE"));
  Doc doc = (*nlp)("hello world bye bye");
  EXPECT_EQ(ents(doc), (std::vector<Ent>{{"hello world", "HELLO", ""}, {"bye bye", "BYE", ""}}));
}

TEST_P(EntityRulers, NoPatternsNoEntities) {
  PatternRuler& ruler = add();
  EXPECT_EQ(ruler.size(), 0u);
  EXPECT_TRUE(ruler.labels().empty());
  Doc doc = (*nlp)("hello world bye bye");
  EXPECT_TRUE(doc.ents().empty());
}

TEST_P(EntityRulers, InitializeWithPatternsAndFromTheConfig) {
  PatternRuler& ruler = add();
  ruler.add_patterns(fixture_patterns());
  // initialize() clears, as spaCy's (the patterns come from [initialize.components]).
  nlp->initialize(nullptr);
  EXPECT_TRUE(ruler.labels().empty());
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"entity_ruler", {{"patterns", fixture_patterns()}}}}}};
  nlp->set_config(cfg);
  nlp->initialize(nullptr);
  EXPECT_EQ(ruler.labels().size(), 4u);
  Doc doc = (*nlp)("hello world bye bye");
  EXPECT_EQ(ents(doc), (std::vector<Ent>{{"hello world", "HELLO", ""}, {"bye bye", "BYE", ""}}));
}

TEST_P(EntityRulers, ClearForgetsEverything) {
  PatternRuler& ruler = add();
  ruler.add_patterns(fixture_patterns());
  Doc d1 = (*nlp)("hello world");
  EXPECT_EQ(d1.ents().size(), 1u);
  ruler.clear();
  EXPECT_TRUE(ruler.labels().empty());
  Doc d2 = (*nlp)("hello world");
  EXPECT_TRUE(d2.ents().empty());
}

struct ExistingCase {
  bool overwrite;
  const char* text;
  std::vector<Ent> expected;
};
class EntityRulersExisting : public EntityRulers {};

TEST_P(EntityRulersExisting, ExistingEntitiesWinUnlessOverwrite) {
  for (const ExistingCase& c : {ExistingCase{false, "OH HELLO WORLD bye bye", {{"OH HELLO WORLD", "ORG", ""}, {"bye bye", "BYE", ""}}},
                                ExistingCase{true, "OH HELLO WORLD bye bye", {{"HELLO", "HELLO", ""}, {"bye bye", "BYE", ""}}},
                                ExistingCase{true, "foo foo bye bye", {{"foo foo", "COMPLEX", ""}, {"bye bye", "BYE", ""}}}}) {
    nlp = Language::blank("en");
    PatternRuler& ruler = add({{"overwrite_ents", c.overwrite}});
    ruler.add_patterns(fixture_patterns());
    AddPipeOptions before;
    before.before = "entity_ruler";
    nlp->add_pipe(std::make_unique<AddEnt>(), before);
    Doc doc = (*nlp)(c.text);
    EXPECT_EQ(ents(doc), c.expected) << c.text << " overwrite=" << c.overwrite;
  }
}

TEST_P(EntityRulers, EntityIdsAndSeparator) {
  for (const char* sep : {"||", "**"}) {
    nlp = Language::blank("en");
    PatternRuler& ruler = add({{"overwrite_ents", true}, {"ent_id_sep", sep}});
    ruler.add_patterns(fixture_patterns());
    Doc doc = (*nlp)("Apple is a technology company");
    EXPECT_EQ(ents(doc), (std::vector<Ent>{{"Apple", "TECH_ORG", "a1"}})) << sep;
    EXPECT_EQ(ruler.ids(), (std::vector<std::string>{"a1", "a2"}));
  }
}

TEST_P(EntityRulers, IdsOnEveryTokenOfPhraseAndTokenPatterns) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([
    {"label": "ORG", "pattern": "Apple"},
    {"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "francisco"}], "id": "san-francisco"},
    {"label": "GPE", "pattern": [{"LOWER": "san"}, {"LOWER": "fran"}], "id": "san-francisco"}])"));
  Doc doc = (*nlp)("San Francisco San Fran");
  for (size_t i = 0; i < doc.size(); ++i) EXPECT_EQ(nlp->vocab().strings()[doc.tokens()[i].ent_id], "san-francisco");
}

TEST_P(EntityRulers, PhraseMatcherAttrLowerAndIds) {
  PatternRuler& ruler = add({{"phrase_matcher_attr", "LOWER"}});
  ruler.add_patterns(J(R"([{"label": "PERSON", "pattern": "joe biden", "id": "joe-biden"},
                           {"label": "PERSON", "pattern": "bernie sanders", "id": "bernie-sanders"}])"));
  Doc doc = (*nlp)("The left is starting to take aim at Democratic front-runner Joe Biden. Sen. Bernie "
                   "Sanders joined in her criticism.");
  std::vector<Ent> found = ents(doc);
  EXPECT_EQ(found, (std::vector<Ent>{{"Joe Biden", "PERSON", "joe-biden"}, {"Bernie Sanders", "PERSON", "bernie-sanders"}}));
}

TEST_P(EntityRulers, OverlappingMatchesKeepTheFirstLongest) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([{"label": "FOOBAR", "pattern": "foo bar"}, {"label": "BARBAZ", "pattern": "bar baz"}])"));
  Doc doc = (*nlp)("foo bar baz");
  EXPECT_EQ(ents(doc), (std::vector<Ent>{{"foo bar", "FOOBAR", ""}}));
}

TEST_P(EntityRulers, FuzzyPatternsAndADisabledFuzzyCompare) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([{"label": "HELLO", "pattern": [{"LOWER": {"FUZZY": "hello"}}]}])"));
  Doc doc = (*nlp)("helloo");
  EXPECT_EQ(ents(doc), (std::vector<Ent>{{"helloo", "HELLO", ""}}));
  registry::Function never;
  never.name = "test_fuzzy_compare_disabled";
  never.make = [](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return FuzzyCompare([](std::string_view, std::string_view, int) { return false; });
  };
  registry::get("misc").add(std::move(never));
  nlp = Language::blank("en");
  PatternRuler& off = add({{"matcher_fuzzy_compare", {{"@misc", "test_fuzzy_compare_disabled"}}}});
  off.add_patterns(J(R"([{"label": "HELLO", "pattern": [{"LOWER": {"FUZZY": "hello"}}]}])"));
  Doc doc2 = (*nlp)("helloo");
  EXPECT_TRUE(doc2.ents().empty());
}

TEST_P(EntityRulers, ValidateGivesMatchPatternError) {
  PatternRuler& ruler = add();
  const Json invalid = J(R"([{"label": "HELLO", "pattern": [{"ASDF": "HELLO"}]}])");
  EXPECT_THROW(ruler.add_patterns(invalid), ValueError);
  nlp = Language::blank("en");
  PatternRuler& validated = add({{"validate", true}});
  validated.add_patterns(J(R"([{"label": "HELLO", "pattern": [{"LOWER": "HELLO"}]}])"));
  try {
    validated.add_patterns(J(R"([{"label": "OK", "pattern": "fine"}, {"label": "HELLO", "pattern": [{"ASDF": "HELLO"}]}])"));
    FAIL() << "no error";
  } catch (const MatchPatternError& e) {
    ASSERT_TRUE(e.errors().count(1)) << e.what();  // the index of the bad pattern in the list
    EXPECT_THAT(e.errors().at(1)[0], ::testing::HasSubstr("ASDF"));
  }
  EXPECT_EQ(validated.size(), 1u);  // the list was refused as a whole
}

TEST_P(EntityRulers, AddingNothingAddsNothing) {
  PatternRuler& ruler = add({{"validate", true}});
  ruler.add_patterns(fixture_patterns());
  const size_t n = ruler.size();
  ruler.add_patterns(Json::array());
  EXPECT_EQ(ruler.size(), n);
}

struct RemoveStep {
  const char* remove;  // "" = none
  const char* text;
  std::vector<std::string> labels;  // entity labels expected after the step
  size_t patterns;
};
class EntityRulersRemove : public EntityRulers {};

TEST_P(EntityRulersRemove, RemoveById) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([{"label": "PERSON", "pattern": "Dina", "id": "dina"},
                           {"label": "ORG", "pattern": "ACME", "id": "acme"},
                           {"label": "DATE", "pattern": "her birthday", "id": "bday"},
                           {"label": "ORG", "pattern": "ACM"}])"));
  const std::vector<RemoveStep> steps = {
      {"", "Dina founded her company ACME on her birthday", {"PERSON", "ORG", "DATE"}, 4},
      {"dina", "Dina founded her company ACME on her birthday", {"ORG", "DATE"}, 3},
      {"acme", "Dina founded her company ACME on her birthday", {"DATE"}, 2},
      {"bday", "Dina founded her company ACME on her birthday", {}, 1}};
  for (const RemoveStep& s : steps) {
    if (*s.remove) {
      if (GetParam() == "entity_ruler") ruler.remove(s.remove);
      else ruler.remove_by_id(s.remove);
    }
    Doc doc = (*nlp)(s.text);
    std::vector<std::string> labels;
    for (const Span& e : doc.ents()) labels.push_back(e.label_());
    EXPECT_EQ(labels, s.labels) << "after removing " << s.remove;
    EXPECT_EQ(ruler.size(), s.patterns);
  }
  EXPECT_THROW(ruler.remove_by_id("nepattern"), ValueError);
}

TEST_P(EntityRulersRemove, RemoveAndAddAgain) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([{"label": "DATE", "pattern": "last time"}])"));
  Pipe& pipe = nlp->get_pipe("entity_ruler");
  auto run = [&](const char* text) {
    Doc doc = nlp->make_doc(text);
    pipe(doc);
    return ents(doc);
  };
  const char* text = "I saw him last time we met, this time he brought some flowers";
  EXPECT_EQ(run(text).size(), 1u);
  ruler.add_patterns(J(R"([{"label": "DATE", "pattern": "this time", "id": "ttime"}])"));
  EXPECT_EQ(run(text).size(), 2u);
  ruler.remove_by_id("ttime");
  EXPECT_EQ(run(text), (std::vector<Ent>{{"last time", "DATE", ""}}));
  ruler.add_patterns(J(R"([{"label": "DATE", "pattern": "this time", "id": "ttime"}])"));
  ruler.add_patterns(J(R"([{"label": "DATE", "pattern": "another time", "id": "ttime"}])"));
  const char* longer = "I saw him last time we met, this time he brought some flowers, another time some chocolate.";
  EXPECT_EQ(run(longer).size(), 3u);
  EXPECT_EQ(ruler.size(), 3u);
  ruler.remove_by_id("ttime");
  EXPECT_EQ(run(longer).size(), 1u);
  EXPECT_EQ(ruler.size(), 1u);
}

TEST_P(EntityRulers, SaveAndLoadWithThePipeline) {
  TempDir tmp;
  PatternRuler& ruler = add({{"phrase_matcher_attr", "LOWER"}, {"overwrite_ents", true}});
  ruler.add_patterns(fixture_patterns());
  nlp->to_disk(tmp / "pipe");
  if (GetParam() == "entity_ruler") {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(tmp / "pipe") / "entity_ruler" / "patterns.jsonl"));
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(tmp / "pipe") / "entity_ruler" / "cfg"));
  } else {
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(tmp / "pipe") / "entity_ruler" / "patterns"));
  }
  auto loaded = Language::load(tmp / "pipe");
  auto& again = dynamic_cast<PatternRuler&>(loaded->get_pipe("entity_ruler"));
  EXPECT_EQ(again.size(), 6u);
  const Json saved = again.patterns();
  EXPECT_EQ(saved.size(), ruler.patterns().size());
  for (const Json& p : ruler.patterns()) EXPECT_NE(std::find(saved.begin(), saved.end(), p), saved.end()) << p.dump();
  Doc a = (*nlp)("HELLO WORLD and apple");
  Doc b = (*loaded)("HELLO WORLD and apple");
  EXPECT_EQ(ents(a), ents(b));
  EXPECT_EQ(ents(b).size(), 2u);  // phrase_matcher_attr LOWER survived the round trip
}

INSTANTIATE_TEST_SUITE_P(BothFactories, EntityRulers, ::testing::Values("entity_ruler", "future_entity_ruler"));
INSTANTIATE_TEST_SUITE_P(BothFactories, EntityRulersExisting, ::testing::Values("entity_ruler", "future_entity_ruler"));
INSTANTIATE_TEST_SUITE_P(BothFactories, EntityRulersRemove, ::testing::Values("entity_ruler", "future_entity_ruler"));

// ------------------------------------------------------------------ entity_ruler only

class EntityRulerOnly : public ::testing::Test {
 protected:
  void SetUp() override { register_components(); }
  std::unique_ptr<Language> nlp = Language::blank("en");
};

TEST_F(EntityRulerOnly, KeysJoinLabelAndIdWithTheSeparator) {
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler", "", {{"ent_id_sep", "**"}}));
  ruler.add_patterns(fixture_patterns());
  EXPECT_TRUE(ruler.contains("TECH_ORG**a1"));
  EXPECT_FALSE(ruler.contains("TECH_ORG"));  // spaCy's `label in ruler` checks the rule keys
  EXPECT_THROW(ruler.remove("nope"), ValueError);
}

TEST_F(EntityRulerOnly, SavesAndLoadsAJsonlFile) {
  TempDir tmp;
  auto& pipe = nlp->add_pipe("entity_ruler");
  auto& ruler = dynamic_cast<PatternRuler&>(pipe);
  ruler.add_patterns(fixture_patterns());
  pipe.to_disk(tmp / "ruler");
  pipe.from_disk(std::filesystem::path(tmp / "ruler") / "patterns.jsonl");
  EXPECT_EQ(ruler.size(), 6u);
  EXPECT_THROW(pipe.from_disk(tmp / "non_existing.jsonl"), ValueError);
  EXPECT_THROW(pipe.from_disk(tmp / "non_existing_dir"), ValueError);
}

TEST_F(EntityRulerOnly, ToDiskWithAJsonlPathWritesOnlyThePatterns) {
  TempDir tmp;
  auto& pipe = nlp->add_pipe("entity_ruler");
  auto& ruler = dynamic_cast<PatternRuler&>(pipe);
  ruler.add_patterns(fixture_patterns());
  const std::string file = std::filesystem::path(tmp / "sub") / "mine.jsonl";
  pipe.to_disk(file);
  ASSERT_TRUE(std::filesystem::is_regular_file(file));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(tmp / "sub") / "cfg"));
  EXPECT_EQ(Json(read_json_lines(file).values), ruler.patterns());
  auto& other = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler", "other"));
  nlp->get_pipe("other").from_disk(file);
  EXPECT_EQ(other.patterns(), ruler.patterns());
}

struct FileCase {
  const char* content;
  int64_t line;
  const char* says;
};
class EntityRulerBadFiles : public EntityRulerOnly, public ::testing::WithParamInterface<FileCase> {};

TEST_P(EntityRulerBadFiles, InitializeNamesFileLineAndKey) {
  TempDir tmp;
  const std::string path = tmp.file("patterns.jsonl", GetParam().content);
  nlp->add_pipe("entity_ruler");
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"entity_ruler", {{"patterns", {{"@readers", "srsly.read_jsonl.v1"}, {"path", path}}}}}}}};
  nlp->set_config(cfg);
  try {
    nlp->initialize(nullptr);
    FAIL() << "no error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_THAT(msg, ::testing::HasSubstr(path));
    EXPECT_THAT(msg, ::testing::HasSubstr(path + ":" + std::to_string(GetParam().line) + ":"));
    EXPECT_THAT(msg, ::testing::HasSubstr(GetParam().says));
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, EntityRulerBadFiles,
    ::testing::Values(
        FileCase{"{\"label\": \"A\", \"pattern\": \"a\"}\n{\"label\": \"B\", \"pattern\": 5}\n", 2, "[E097]"},
        FileCase{"{\"label\": \"A\", \"pattern\": \"a\"}\n\n{\"pattern\": \"b\"}\n", 3, "'label' is missing"},
        FileCase{"{\"label\": \"A\", \"pattern\": \"a\"}\n{\"label\": \"A\"\n", 2, "Invalid JSON on line 2"},
        FileCase{"{\"label\": \"A\", \"pattern\": [{\"LOWER\": \"a\"}, {\"XX\": 1}]}\n", 1, "token 1, key 'XX'"},
        FileCase{"{\"label\": \"A\", \"pattern\": [{\"LOWER\": \"a\", \"OP\": \"#\"}]}\n", 1, "key 'OP'"},
        FileCase{"{\"label\": \"A\", \"pattern\": [{\"LENGTH\": \"x\"}]}\n", 1, "key 'LENGTH'"},
        FileCase{"[1, 2]\n", 1, "pattern 0"}));

TEST_F(EntityRulerOnly, BadSettingsAreConfigErrors) {
  auto path_of = [&](const Json& config) -> std::vector<std::string> {
    try {
      auto n = Language::blank("en");
      n->add_pipe("entity_ruler", "", config);
    } catch (const ConfigError& e) {
      return e.path();
    }
    return {};
  };
  EXPECT_EQ(path_of({{"overwrite_ents", "yes"}}), (std::vector<std::string>{"components", "entity_ruler", "overwrite_ents"}));
  EXPECT_EQ(path_of({{"phrase_matcher_attr", "BOGUS"}}),
            (std::vector<std::string>{"components", "entity_ruler", "phrase_matcher_attr"}));
  EXPECT_EQ(path_of({{"typo_setting", 1}}), (std::vector<std::string>{"components", "entity_ruler", "typo_setting"}));
  EXPECT_FALSE(path_of({{"matcher_fuzzy_compare", 3}}).empty());
}

TEST_F(EntityRulerOnly, InlinePatternErrorsNameIndexAndKey) {
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler"));
  auto message = [&](const char* patterns) {
    return trfpipe::testing::error_of([&] { ruler.add_patterns(J(patterns)); });
  };
  EXPECT_THAT(message(R"([{"label": "A", "pattern": "a"}, {"label": 3, "pattern": "b"}])"),
              ::testing::HasSubstr("pattern 1: key 'label' must be a non-empty string"));
  EXPECT_THAT(message(R"([{"label": "A", "pattern": [{"TEXT": "a"}, {"TEXT": {"IN": "abc"}}]}])"),
              ::testing::HasSubstr("pattern 0 (label 'A'): token 1, key 'TEXT -> IN'"));
  EXPECT_THAT(message(R"({"label": "A"})"), ::testing::HasSubstr("expected a list of patterns"));
  EXPECT_EQ(ruler.size(), 0u);
}

TEST_F(EntityRulerOnly, MergeEntitiesAfterTheRuler) {
  // Issue 5918: merging keeps the three entities.
  auto& ruler = dynamic_cast<PatternRuler&>(nlp->add_pipe("entity_ruler"));
  ruler.add_patterns(J(R"([{"label": "ORG", "pattern": "Digicon Inc"},
                           {"label": "ORG", "pattern": "Rotan Mosle Inc's"},
                           {"label": "ORG", "pattern": "Rotan Mosle Technology Partners Ltd"}])"));
  nlp->add_pipe("merge_entities");
  Doc doc = (*nlp)("Digicon Inc said it has completed the previously-announced disposition of its computer "
                   "systems division to an investment group led by Rotan Mosle Inc's Rotan Mosle Technology "
                   "Partners Ltd affiliate.");
  auto found = doc.ents();
  ASSERT_EQ(found.size(), 3u);
  for (const Span& e : found) EXPECT_EQ(e.size(), 1u);
  EXPECT_EQ(found[2].text(), "Rotan Mosle Technology Partners Ltd");
}
