#include <gtest/gtest.h>

#include <fstream>

#include "data_test_util.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::shared_path;
using trfpipe::testing::TempDir;
using trfpipe::testing::whitespace_make_doc;

namespace {

const char* kJsonV2 = R"([{
  "id": 0,
  "paragraphs": [{
    "raw": "I like London.",
    "sentences": [{"tokens": [
      {"id": 0, "orth": "I", "tag": "PRP", "pos": "PRON", "head": 1, "dep": "nsubj", "ner": "O"},
      {"id": 1, "orth": "like", "tag": "VBP", "pos": "VERB", "head": 0, "dep": "root", "ner": "O", "lemma": "like"},
      {"id": 2, "orth": "London", "tag": "NNP", "pos": "PROPN", "head": -1, "dep": "dobj", "ner": "U-GPE", "morph": "Number=Sing"},
      {"id": 3, "orth": ".", "tag": ".", "pos": "PUNCT", "head": -2, "dep": "punct", "ner": "-"}
    ]}],
    "cats": [{"label": "TRAVEL", "value": 1.0}, {"label": "FOOD", "value": 0}]
  }, {
    "sentences": [{"tokens": [{"orth": "Hi", "space": " "}, {"orth": "!", "space": ""}]},
                  {"tokens": [{"orth": "Bye", "space": false}]}]
  }]
}])";

DataError json_error(const std::string& text) {
  return trfpipe::testing::expect_data_error(
      [&] { parse_json_v2(text, "bad.json", std::make_shared<Vocab>()); });
}

}  // namespace

TEST(JsonV2, ReadsParagraphsAsDocs) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_json_v2(kJsonV2, "t.json", vocab);
  ASSERT_EQ(docs.size(), 2u);
  Doc& d = docs[0];
  EXPECT_EQ(d.text(), "I like London.");  // spaces guessed from raw
  EXPECT_EQ(d.token(1).dep_(), "ROOT");
  EXPECT_EQ(d.tokens()[0].head, 1);
  EXPECT_EQ(d.token(2).pos_(), "PROPN");
  EXPECT_EQ(d.token(2).morph_(), "Number=Sing");
  EXPECT_EQ(d.token(1).lemma_(), "like");
  auto ents = d.ents();
  ASSERT_EQ(ents.size(), 1u);
  EXPECT_EQ(ents[0].text(), "London");
  EXPECT_EQ(d.tokens()[3].ent_iob, 0);  // "-" = missing
  EXPECT_EQ(d.tokens()[0].ent_iob, 2);
  EXPECT_DOUBLE_EQ(d.cats().at("TRAVEL"), 1.0);
  EXPECT_DOUBLE_EQ(d.cats().at("FOOD"), 0.0);
  EXPECT_EQ(docs[1].text(), "Hi !Bye");
  EXPECT_EQ(docs[1].sents().size(), 2u);
  EXPECT_FALSE(has_unknown_spaces(docs[1]));
}

TEST(JsonV2, DocsToJsonRoundTrips) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = parse_json_v2(kJsonV2, "t.json", vocab);
  std::vector<const Doc*> ptrs;
  for (auto& d : docs) ptrs.push_back(&d);
  Json j = docs_to_json(ptrs);
  EXPECT_EQ(j["paragraphs"].size(), 2u);
  EXPECT_EQ(j["paragraphs"][0]["entities"][0][2], "GPE");
  EXPECT_EQ(j["paragraphs"][0]["sentences"][0]["tokens"][2]["ner"], "U-GPE");
  auto back = parse_json_v2(Json::array({j}).dump(), "again.json", std::make_shared<Vocab>());
  ASSERT_EQ(back.size(), docs.size());
  for (size_t k = 0; k < docs.size(); ++k) {
    EXPECT_EQ(back[k].text(), docs[k].text());
    for (size_t i = 0; i < docs[k].size(); ++i) {
      EXPECT_EQ(back[k].token(i).tag_(), docs[k].token(i).tag_());
      EXPECT_EQ(back[k].tokens()[i].head, docs[k].tokens()[i].head);
      EXPECT_EQ(back[k].token(i).dep_(), docs[k].token(i).dep_());
      EXPECT_EQ(back[k].token(i).morph_(), docs[k].token(i).morph_());
    }
    EXPECT_EQ(back[k].ents().size(), docs[k].ents().size());
    EXPECT_EQ(back[k].cats().size(), docs[k].cats().size());
  }
}

TEST(JsonV2Errors, InvalidJsonNamesLine) {
  DataError e = json_error("[\n{\"id\": 0,\n \"paragraphs\": [}\n]");
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(e.file(), "bad.json");
}

TEST(JsonV2Errors, StructureErrors) {
  json_error("42");
  json_error(R"([{"id": 0}])");
  json_error(R"([{"paragraphs": [{"sentences": [{"tokens": [{"tag": "X"}]}]}]}])");
  json_error(R"([{"paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "head": 5}]}]}]}])");
  json_error(R"([{"paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "pos": "XYZ"}]}]}]}])");
  json_error(R"([{"paragraphs": [{"sentences": [{"tokens": [{"orth": "a", "ner": "Q-X"}]}]}]}])");
  DataError e = json_error(R"([{"paragraphs": [{"sentences": [], "cats": [{"label": 1}]}]}])");
  EXPECT_EQ(e.doc_index(), 0);
}

TEST(Jsonl, ReadsTextAndCats) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  std::string path = tmp.file("t.jsonl", "{\"text\": \"hello big world\", \"meta\": {\"id\": 1}}\n\n"
                                          "{\"text\": \"bye\", \"cats\": {\"POS\": 1, \"NEG\": 0.0}}\n");
  auto docs = read_jsonl(path, whitespace_make_doc(vocab));
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[0].size(), 3u);
  EXPECT_DOUBLE_EQ(docs[1].cats().at("POS"), 1.0);
}

TEST(Jsonl, ReadsSpanGroupsInKeyOrder) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  std::string path = tmp.file("s.jsonl", "{\"text\": \"Acme hired Bo\", \"spans\": "
                                          "{\"sc\": [[0, 4, \"ORG\"], [0, 10]], \"alpha\": [[11, 13, \"PER\"]]}}\n");
  auto docs = read_jsonl(path, whitespace_make_doc(vocab));
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].spans().names(), (std::vector<std::string>{"sc", "alpha"}));
  auto sc = docs[0].spans().get("sc");
  ASSERT_EQ(sc.size(), 2u);
  EXPECT_EQ(sc[0].label_(), "ORG");
  EXPECT_EQ(sc[1].text(), "Acme hired");
  EXPECT_EQ(docs[0].spans().get("alpha")[0].text(), "Bo");
}

// Doc.to_json()'s span objects (what `trfpipe apply` writes) read back as the same span groups,
// so annotated JSONL output can be converted to training data.
TEST(Jsonl, ReadsDocToJsonSpansBackToTheSameGroups) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  auto make_doc = whitespace_make_doc(vocab);
  Doc doc = make_doc("Acme hired Bo Smith today");
  SpanGroup sc;
  sc.name = "sc";
  sc.spans = {{0, 1, vocab->strings().add("ORG"), vocab->strings().add("Q1"), 0},
              {2, 4, vocab->strings().add("PER"), 0, 0},
              {0, 4, vocab->strings().add("EVENT"), 0, 0},
              {3, 4, 0, 0, 0}};
  doc.spans().set_group("sc", sc);
  doc.spans().set_group("empty", SpanGroup{"empty", Json::object(), {}});
  const std::string path = tmp.file("out.jsonl", doc.to_json().dump() + "\n");
  auto docs = read_jsonl(path, make_doc);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].spans().names(), (std::vector<std::string>{"sc", "empty"}));
  EXPECT_EQ(docs[0].spans().group("sc").spans, sc.spans);  // labels and kb_ids kept
  EXPECT_TRUE(docs[0].spans().group("empty").spans.empty());
  EXPECT_EQ(docs[0].to_json()["spans"], doc.to_json()["spans"]);
  // A to_json span with a non-string label is refused, naming the line.
  EXPECT_EQ(trfpipe::testing::expect_data_error([&] {
              read_jsonl(tmp.file("bad.jsonl", "{\"text\": \"a b\"}\n{\"text\": \"a b\", \"spans\": "
                                               "{\"sc\": [{\"start\": 0, \"end\": 1, \"label\": 7}]}}\n"),
                         make_doc);
            }).line(),
            2);
}

TEST(Jsonl, RealSotuSample) {
  auto vocab = std::make_shared<Vocab>();
  auto docs = read_jsonl(shared_path("data/text/sotu.jsonl"), whitespace_make_doc(vocab));
  EXPECT_EQ(docs.size(), 233u);  // README: 233 addresses
}

TEST(JsonlErrors, BadLines) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  auto md = whitespace_make_doc(vocab);
  auto line_of = [&](const std::string& content) {
    return trfpipe::testing::expect_data_error([&] { read_jsonl(tmp.file("e.jsonl", content), md); }).line();
  };
  EXPECT_EQ(line_of("{\"text\": \"a\"}\n{broken\n"), 2);
  EXPECT_EQ(line_of("[1, 2]\n"), 1);
  EXPECT_EQ(line_of("{\"text\": \"a\"}\n\n{\"txt\": \"b\"}\n"), 3);
  EXPECT_EQ(line_of("{\"text\": \"a\", \"cats\": {\"X\": \"yes\"}}\n"), 1);
  EXPECT_EQ(line_of("{\"text\": \"a\"}\n{\"text\": \"ab c\", \"spans\": {\"sc\": [[1, 4]]}}\n"), 2);
  EXPECT_EQ(line_of("{\"text\": \"a\", \"spans\": [[0, 1]]}\n"), 1);
  EXPECT_THROW(read_jsonl((tmp / "e.jsonl"), MakeDoc{}), ValueError);
}

TEST(GoEmotions, DevSetWithLabels) {
  auto vocab = std::make_shared<Vocab>();
  auto labels = read_labels(shared_path("data/corpora/goemotions/labels.txt"));
  ASSERT_EQ(labels.size(), 28u);
  EXPECT_EQ(labels[0], "admiration");
  auto docs = read_goemotions(shared_path("data/corpora/goemotions/dev.tsv"), labels, whitespace_make_doc(vocab));
  ASSERT_EQ(docs.size(), 5426u);
  for (auto& d : docs) ASSERT_EQ(d.cats().size(), 28u);
  // Line 2 of dev.tsv has label ids "4,27".
  for (size_t k = 0; k < 28; ++k)
    EXPECT_DOUBLE_EQ(docs[1].cats().at(labels[k]), (k == 4 || k == 27) ? 1.0 : 0.0) << labels[k];
  // Every doc has at least one label.
  for (auto& d : docs) {
    double sum = 0;
    for (auto& kv : d.cats()) sum += kv.second;
    EXPECT_GE(sum, 1.0);
  }
}

TEST(GoEmotionsErrors, BadRowsAndLabels) {
  TempDir tmp;
  auto vocab = std::make_shared<Vocab>();
  auto md = whitespace_make_doc(vocab);
  std::vector<std::string> labels = {"a", "b"};
  auto line_of = [&](const std::string& content) {
    return trfpipe::testing::expect_data_error(
        [&] { read_goemotions(tmp.file("g.tsv", content), labels, md); }).line();
  };
  EXPECT_EQ(line_of("ok\t0\tid1\nno tabs here\n"), 2);
  EXPECT_EQ(line_of("ok\t0,2\tid1\n"), 1);
  EXPECT_EQ(line_of("ok\t0,x\tid1\n"), 1);
  EXPECT_EQ(line_of("ok\t1\tid\textra\n"), 1);
  auto label_line = [&](const std::string& content) {
    return trfpipe::testing::expect_data_error([&] { read_labels(tmp.file("l.txt", content)); }).line();
  };
  EXPECT_EQ(label_line("a\n\nb\n"), 2);
  EXPECT_EQ(label_line("a\nb\na\n"), 3);
  EXPECT_EQ(label_line(""), -1);
}
