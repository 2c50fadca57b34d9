// span_ruler and future_entity_ruler's span side, table-driven from spaCy's
// tests/pipeline/test_span_ruler.py.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "common/temp_dir.hpp"
#include "components/register.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/json_lines.hpp"
#include "trfpipe/rulers.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;
namespace fs = std::filesystem;


namespace {

Json J(const char* text) { return Json::parse(text); }

Json span_patterns() {
  return J(R"([
    {"label": "HELLO", "pattern": "hello world", "id": "hello1"},
    {"label": "BYE", "pattern": [{"LOWER": "bye"}, {"LOWER": "bye"}]},
    {"label": "HELLO", "pattern": [{"ORTH": "HELLO"}], "id": "hello2"},
    {"label": "COMPLEX", "pattern": [{"ORTH": "foo", "OP": "*"}]},
    {"label": "TECH_ORG", "pattern": "Apple"},
    {"label": "TECH_ORG", "pattern": "Microsoft"}])");
}
Json overlapping() {
  return J(R"([{"label": "FOOBAR", "pattern": "foo bar"}, {"label": "BARBAZ", "pattern": "bar baz"}])");
}

// (text, label, id) of a span group.
std::vector<std::tuple<std::string, std::string, std::string>> group(Doc& doc, const std::string& key) {
  std::vector<std::tuple<std::string, std::string, std::string>> out;
  const StringStore& ss = doc.vocab().strings();
  for (const SpanGroupEntry& e : doc.spans().group(key).spans)
    out.emplace_back(std::string(doc.span(e.start, e.end).text()), e.label ? ss[e.label] : "", e.id ? ss[e.id] : "");
  return out;
}
using Group = std::vector<std::tuple<std::string, std::string, std::string>>;

std::vector<std::string> ent_labels(Doc& doc) {
  std::vector<std::string> out;
  for (const Span& e : doc.ents()) out.push_back(e.label_());
  return out;
}

class SpanRulerTest : public ::testing::Test {
 protected:
  void SetUp() override { register_components(); }
  std::unique_ptr<Language> nlp = Language::blank("en");
  PatternRuler& add(const Json& config = Json::object()) {
    return dynamic_cast<PatternRuler&>(nlp->add_pipe("span_ruler", "", config));
  }
  Doc run(const char* text) {
    Doc doc = nlp->make_doc(text);
    nlp->get_pipe("span_ruler")(doc);
    return doc;
  }
};

}  // namespace

TEST_F(SpanRulerTest, SpansWithLabelsAndIds) {
  PatternRuler& ruler = add();
  ruler.add_patterns(span_patterns());
  EXPECT_EQ(ruler.size(), 6u);
  EXPECT_EQ(ruler.labels().size(), 4u);
  EXPECT_TRUE(ruler.contains("HELLO"));
  Doc doc = (*nlp)("hello world bye bye");
  EXPECT_EQ(group(doc, "ruler"), (Group{{"hello world", "HELLO", "hello1"}, {"bye bye", "BYE", ""}}));
  EXPECT_EQ(ruler.ids(), (std::vector<std::string>{"hello1", "hello2"}));
}

TEST_F(SpanRulerTest, ExistingSpansAreKeptUnlessOverwrite) {
  for (bool overwrite : {false, true}) {
    nlp = Language::blank("en");
    add({{"overwrite", overwrite}}).add_patterns(span_patterns());
    Doc doc = nlp->make_doc("OH HELLO WORLD bye bye");
    doc.spans().set("ruler", {doc.span(0, 2)});
    nlp->get_pipe("span_ruler")(doc);
    if (overwrite)
      EXPECT_EQ(group(doc, "ruler"), (Group{{"HELLO", "HELLO", "hello2"}, {"bye bye", "BYE", ""}}));
    else
      EXPECT_EQ(group(doc, "ruler"), (Group{{"OH HELLO", "", ""}, {"HELLO", "HELLO", "hello2"}, {"bye bye", "BYE", ""}}));
  }
}

struct FilterCase {
  const char* config;
  const char* text;
  const char* preset;  // entities set before the ruler: "start end LABEL;..."
  Group spans;         // doc.spans["ruler"] (unchecked when spans_key is null)
  std::vector<std::string> ents;
};
class SpanRulerFilters : public SpanRulerTest, public ::testing::WithParamInterface<FilterCase> {};

TEST_P(SpanRulerFilters, FilterSpansAndEntities) {
  const FilterCase& c = GetParam();
  add(J(c.config)).add_patterns(overlapping());
  Doc doc = nlp->make_doc(c.text);
  std::vector<Span> preset;
  std::istringstream in(c.preset);
  std::string item;
  while (std::getline(in, item, ';')) {
    std::istringstream fields(item);
    size_t s, e;
    std::string label;
    fields >> s >> e >> label;
    preset.push_back(doc.span(s, e, label));
  }
  if (!preset.empty()) doc.set_ents(preset);
  nlp->get_pipe("span_ruler")(doc);
  if (doc.spans().contains("ruler")) EXPECT_EQ(group(doc, "ruler"), c.spans);
  EXPECT_EQ(ent_labels(doc), c.ents);
}

INSTANTIATE_TEST_SUITE_P(
    SpacyCases, SpanRulerFilters,
    ::testing::Values(
        FilterCase{"{}", "foo bar baz", "", {{"foo bar", "FOOBAR", ""}, {"bar baz", "BARBAZ", ""}}, {}},
        FilterCase{R"({"spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"}})", "foo bar baz", "",
                   {{"foo bar", "FOOBAR", ""}}, {}},
        FilterCase{R"({"annotate_ents": true})", "foo bar baz", "",
                   {{"foo bar", "FOOBAR", ""}, {"bar baz", "BARBAZ", ""}}, {"FOOBAR"}},
        FilterCase{R"({"annotate_ents": true, "overwrite": false,
                      "ents_filter": {"@misc": "spacy.prioritize_new_ents_filter.v1"}})",
                   "foo bar baz a b c", "1 3 BARBAZ;3 6 ABC",
                   {{"foo bar", "FOOBAR", ""}, {"bar baz", "BARBAZ", ""}}, {"FOOBAR", "ABC"}},
        FilterCase{R"({"annotate_ents": true, "overwrite": false,
                      "ents_filter": {"@misc": "spacy.prioritize_existing_ents_filter.v1"}})",
                   "foo bar baz a b c", "1 3 BARBAZ;3 6 ABC",
                   {{"foo bar", "FOOBAR", ""}, {"bar baz", "BARBAZ", ""}}, {"BARBAZ", "ABC"}},
        FilterCase{R"({"spans_key": null, "annotate_ents": true})", "foo bar baz", "", {}, {"FOOBAR"}}));

TEST_F(SpanRulerTest, AFilterThatAllowsOverlapsIsE854) {
  registry::Function f;
  f.name = "test_pass_through_filter";
  f.make = [](const registry::Value&, const std::vector<std::string>&) -> std::any {
    return SpansFilter([](const std::vector<Span>& a, const std::vector<Span>& b) {
      std::vector<Span> all = a;
      all.insert(all.end(), b.begin(), b.end());
      return all;
    });
  };
  registry::get("misc").add(std::move(f));
  add({{"annotate_ents", true}, {"ents_filter", {{"@misc", "test_pass_through_filter"}}}}).add_patterns(overlapping());
  try {
    run("foo bar baz");
    FAIL() << "no error";
  } catch (const ValueError& e) {
    EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("[E854]"));
  }
}

TEST_F(SpanRulerTest, InitializeFromConfigClearsFirst) {
  PatternRuler& ruler = add();
  ruler.add_patterns(span_patterns());
  nlp->initialize(nullptr);
  EXPECT_EQ(ruler.size(), 0u);
  Json cfg = nlp->config();
  cfg["initialize"] = {{"components", {{"span_ruler", {{"patterns", span_patterns()}}}}}};
  nlp->set_config(cfg);
  nlp->initialize(nullptr);
  EXPECT_EQ(ruler.size(), 6u);
  Doc doc = (*nlp)("hello world bye bye");
  EXPECT_EQ(group(doc, "ruler").size(), 2u);
}

TEST_F(SpanRulerTest, RemoveByLabelAndById) {
  PatternRuler& ruler = add();
  ruler.add_patterns(J(R"([{"label": "PERSON", "pattern": "Dina", "id": "dina"},
                           {"label": "ORG", "pattern": "ACME", "id": "acme"},
                           {"label": "ORG", "pattern": "ACM"},
                           {"label": "DATE", "pattern": "June 14th"}])"));
  auto labels = [&](const char* text) {
    Doc doc = run(text);
    std::vector<std::string> out;
    for (const auto& t : group(doc, "ruler")) out.push_back(std::get<1>(t));
    return out;
  };
  EXPECT_EQ(labels("Dina founded her company ACME on June 14th"), (std::vector<std::string>{"PERSON", "ORG", "DATE"}));
  ruler.remove("PERSON");
  EXPECT_EQ(ruler.size(), 3u);
  EXPECT_EQ(labels("Dina founded her company ACME on June 14th"), (std::vector<std::string>{"ORG", "DATE"}));
  ruler.remove_by_id("acme");
  EXPECT_EQ(ruler.size(), 2u);
  EXPECT_EQ(labels("Dina founded her company ACME on June 14th"), (std::vector<std::string>{"DATE"}));
  EXPECT_THROW(ruler.remove("NE"), ValueError);
  EXPECT_THROW(ruler.remove_by_id("nepattern"), ValueError);
  ruler.remove("ORG");
  ruler.remove("DATE");
  EXPECT_EQ(ruler.size(), 0u);
  EXPECT_TRUE(labels("Dina founded her company ACME on June 14th").empty());
}

TEST_F(SpanRulerTest, SavesPatternsAsSpacyDoes) {
  TempDir tmp;
  PatternRuler& ruler = add({{"spans_key", "mine"}});
  ruler.add_patterns(span_patterns());
  nlp->to_disk(tmp / "pipe");
  ASSERT_TRUE(std::filesystem::exists(std::filesystem::path(tmp / "pipe") / "span_ruler" / "patterns"));
  JsonLines lines = read_json_lines(std::filesystem::path(tmp / "pipe") / "span_ruler" / "patterns");
  EXPECT_EQ(Json(lines.values), ruler.patterns());
  auto loaded = Language::load(tmp / "pipe");
  Doc doc = (*loaded)("hello world bye bye");
  EXPECT_EQ(group(doc, "mine"), (Group{{"hello world", "HELLO", "hello1"}, {"bye bye", "BYE", ""}}));
}
