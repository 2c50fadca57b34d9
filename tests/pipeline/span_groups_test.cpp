// doc.spans (span groups): set/get, order, overlap, attrs, bounds, copy and move, to_json, and
// spaCy's Example.from_dict "spans" form (add_spans_from_dict).
#include <gtest/gtest.h>

#include <functional>
#include <tuple>

#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/example.hpp"

using namespace trfpipe;

namespace {

Doc make_doc(const std::shared_ptr<Vocab>& vocab) {
  return Doc(vocab, {"Alice", "and", "Bob", "met", "in", "New", "York"});
}

std::vector<std::tuple<size_t, size_t, std::string>> triples(const std::vector<Span>& spans) {
  std::vector<std::tuple<size_t, size_t, std::string>> out;
  for (const Span& s : spans) out.emplace_back(s.start(), s.end(), s.label_());
  return out;
}

using Triples = std::vector<std::tuple<size_t, size_t, std::string>>;

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ValueError& e) {
    return e.what();
  }
  return "no ValueError";
}

}  // namespace

TEST(SpanGroups, SetGetKeepsOrderOverlapAndLabels) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = make_doc(vocab);
  EXPECT_TRUE(doc.spans().empty());
  doc.spans().set("people", {doc.span(0, 1, "PERSON"), doc.span(0, 3, "GROUP"), doc.span(2, 3, "PERSON")});
  doc.spans().set("empty", {});
  doc.spans().set("places", {doc.span(5, 7, "GPE")});
  EXPECT_EQ(doc.spans().size(), 3u);
  EXPECT_EQ(doc.spans().names(), (std::vector<std::string>{"people", "empty", "places"}));
  EXPECT_EQ(triples(doc.spans().get("people")),
            (Triples{{0, 1, "PERSON"}, {0, 3, "GROUP"}, {2, 3, "PERSON"}}));
  EXPECT_TRUE(doc.spans().get("empty").empty());
  EXPECT_EQ(doc.spans().get("places")[0].text(), "New York");
  EXPECT_EQ(doc.spans().group("people").name, "people");

  // Replacing keeps the position; erase removes.
  doc.spans().set("people", {doc.span(2, 3, "PERSON")});
  EXPECT_EQ(doc.spans().names(), (std::vector<std::string>{"people", "empty", "places"}));
  EXPECT_EQ(doc.spans().get("people").size(), 1u);
  EXPECT_TRUE(doc.spans().erase("empty"));
  EXPECT_FALSE(doc.spans().erase("empty"));
  EXPECT_FALSE(doc.spans().contains("empty"));
  EXPECT_TRUE(doc.spans().contains("places"));

  doc.spans().attrs("places")["source"] = "gazetteer";
  EXPECT_EQ(doc.spans().group("places").attrs, (Json{{"source", "gazetteer"}}));
}

TEST(SpanGroups, ErrorsNameTheGroupAndSpan) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = make_doc(vocab);
  Doc other = make_doc(vocab);
  std::string msg = error_of([&] { doc.spans().set("g", {doc.span(0, 1), other.span(0, 1)}); });
  EXPECT_NE(msg.find("'g'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("span 1"), std::string::npos) << msg;

  SpanGroup bad;
  bad.spans = {{0, 2, 0, 0, 0}, {3, 8, 0, 0, 0}};
  msg = error_of([&] { doc.spans().set_group("raw", bad); });
  EXPECT_NE(msg.find("'raw'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("span 1"), std::string::npos) << msg;
  bad.spans = {{4, 3, 0, 0, 0}};
  EXPECT_THROW(doc.spans().set_group("raw", bad), ValueError);
  EXPECT_FALSE(doc.spans().contains("raw"));

  msg = error_of([&] { doc.spans().get("missing"); });
  EXPECT_NE(msg.find("'missing'"), std::string::npos) << msg;
  EXPECT_THROW(doc.spans().attrs("missing"), ValueError);
}

TEST(SpanGroups, CopyCopiesAndMoveKeepsThem) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = make_doc(vocab);
  SpanGroup g;
  g.name = "original-name";
  g.attrs = Json{{"k", 1}};
  g.spans = {{0, 1, vocab->strings().add("PERSON"), vocab->strings().add("Q1"), 0}};
  doc.spans().set_group("g", g);

  Doc copy = doc.copy();
  copy.spans().erase("g");
  EXPECT_TRUE(doc.spans().contains("g"));  // independent
  Doc copy2 = doc.copy();
  EXPECT_EQ(copy2.spans().group("g").spans, g.spans);
  EXPECT_EQ(copy2.spans().group("g").name, "original-name");
  EXPECT_EQ(&copy2.spans().get("g")[0].doc(), &copy2);

  Doc moved = std::move(doc);
  auto spans = moved.spans().get("g");
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(&spans[0].doc(), &moved);
  EXPECT_EQ(spans[0].text(), "Alice");
  Doc assigned = make_doc(vocab);
  assigned = std::move(moved);
  EXPECT_EQ(&assigned.spans().get("g")[0].doc(), &assigned);
}

TEST(SpanGroups, ToJsonWritesSpansOnlyWhenThereAreGroups) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = make_doc(vocab);
  EXPECT_FALSE(doc.to_json().contains("spans"));
  SpanGroup g;
  g.spans = {{5, 7, vocab->strings().add("GPE"), vocab->strings().add("Q60"), 0}, {0, 1, 0, 0, 0}};
  doc.spans().set_group("sc", g);
  doc.spans().set("none", {});
  Json j = doc.to_json();
  ASSERT_TRUE(j.contains("spans"));
  EXPECT_EQ(j["spans"], (Json{{"sc",
                               {{{"start", 21}, {"end", 29}, {"label", "GPE"}, {"kb_id", "Q60"}},
                                {{"start", 0}, {"end", 5}, {"label", ""}, {"kb_id", ""}}}},
                              {"none", Json::array()}}));
}

TEST(SpanGroups, AddSpansFromDictAsExampleFromDict) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc = make_doc(vocab);
  add_spans_from_dict(doc, Json::parse(R"({"sc": [[0, 5, "PERSON"], [0, 13, "GROUP", "Q9"]],
                                           "bare": [[21, 29]]})"));
  EXPECT_EQ(doc.spans().names(), (std::vector<std::string>{"sc", "bare"}));
  EXPECT_EQ(triples(doc.spans().get("sc")), (Triples{{0, 1, "PERSON"}, {0, 3, "GROUP"}}));
  EXPECT_EQ(vocab->strings()[doc.spans().group("sc").spans[1].kb_id], "Q9");
  EXPECT_EQ(triples(doc.spans().get("bare")), (Triples{{5, 7, ""}}));

  std::string msg = error_of([&] { add_spans_from_dict(doc, Json::parse(R"({"x": [[0, 5], [1, 5]]})")); });
  EXPECT_NE(msg.find("spans['x'][1]"), std::string::npos) << msg;
  EXPECT_THROW(add_spans_from_dict(doc, Json::array()), ValueError);
  EXPECT_THROW(add_spans_from_dict(doc, Json::parse(R"({"x": 3})")), ValueError);
  EXPECT_THROW(add_spans_from_dict(doc, Json::parse(R"({"x": [[0]]})")), ValueError);
  EXPECT_THROW(add_spans_from_dict(doc, Json::parse(R"({"x": [[0, 5, 7]]})")), ValueError);
}

TEST(SpanGroups, ExampleAlignsSpansBothWays) {
  auto vocab = std::make_shared<Vocab>();
  auto x = std::make_shared<Doc>(vocab, std::vector<std::string>{"New", "York", "is", "big"});
  auto y = std::make_shared<Doc>(vocab, std::vector<std::string>{"New York", "is", "big"});
  Example eg(x, y);
  auto xs = eg.get_aligned_spans_y2x({y->span(0, 1, "GPE"), y->span(0, 2, "X")}, true);
  EXPECT_EQ(triples(xs), (Triples{{0, 2, "GPE"}, {0, 3, "X"}}));
  // Without overlap the second span loses its first tokens and no longer matches its text.
  EXPECT_EQ(triples(eg.get_aligned_spans_y2x({y->span(0, 1, "GPE"), y->span(0, 2, "X")})),
            (Triples{{0, 2, "GPE"}}));
  EXPECT_EQ(triples(eg.get_aligned_spans_x2y({x->span(0, 2, "GPE")})), (Triples{{0, 1, "GPE"}}));
  EXPECT_TRUE(eg.get_aligned_spans_x2y({x->span(0, 1, "GPE")}).empty());  // "New" != "New York"
}
