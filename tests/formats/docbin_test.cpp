#include <gtest/gtest.h>

#include <zlib.h>

#include <chrono>

#include <nlohmann/json.hpp>

#include "data_test_util.hpp"
#include "formats/data_util.hpp"
#include "formats/msgpack_lite.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"

using namespace trfpipe;
using trfpipe::testing::read_all;
using trfpipe::testing::shared_path;
using trfpipe::testing::TempDir;
namespace mp = trfpipe::formats::msgpack;

namespace {

const std::string kExample = "data/docbin/spacy-ner-example.spacy";

std::vector<std::array<std::string, 3>> ents_of(Doc& doc) {
  std::vector<std::array<std::string, 3>> out;
  for (auto& e : doc.ents())
    out.push_back({std::to_string(e.start()), std::to_string(e.end()), e.label_()});
  return out;
}

// A Doc with every annotation the DocBin stores.
Doc annotated_doc(const std::shared_ptr<Vocab>& vocab) {
  Doc doc(vocab, {"Apple", "buys", "a", "U.K.", "startup", "."}, {true, true, true, true, false, false});
  StringStore& ss = vocab->strings();
  const char* tags[] = {"NNP", "VBZ", "DT", "NNP", "NN", "."};
  const char* pos[] = {"PROPN", "VERB", "DET", "PROPN", "NOUN", "PUNCT"};
  const char* lemmas[] = {"Apple", "buy", "a", "U.K.", "startup", "."};
  const char* deps[] = {"nsubj", "ROOT", "det", "compound", "dobj", "punct"};
  const int heads[] = {1, 1, 4, 4, 1, 1};
  for (size_t i = 0; i < doc.size(); ++i) {
    TokenData& t = doc.tokens()[i];
    t.tag = ss.add(tags[i]);
    t.pos = ss.add(pos[i]);
    t.lemma = ss.add(lemmas[i]);
    t.dep = ss.add(deps[i]);
    t.head = heads[i] - int(i);
    t.sent_start = i == 0 ? 1 : -1;
  }
  doc.tokens()[1].morph = ss.add("Number=Sing|Person=3|Tense=Pres");
  doc.tokens()[0].norm = ss.add("apple-norm");
  set_entities(doc, {{0, 1, "ORG"}, {3, 4, "GPE"}});
  doc.tokens()[0].ent_kb_id = ss.add("Q312");
  doc.cats()["TECH"] = 1.0;
  doc.cats()["SPORTS"] = 0.25;
  return doc;
}

void expect_same_tokens(const Doc& a, const Doc& b) {
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a.text(), b.text());
  for (size_t i = 0; i < a.size(); ++i) {
    const TokenData &x = a.tokens()[i], &y = b.tokens()[i];
    EXPECT_EQ(x.orth, y.orth) << i;
    EXPECT_EQ(x.tag, y.tag) << i;
    EXPECT_EQ(x.pos, y.pos) << i;
    EXPECT_EQ(x.lemma, y.lemma) << i;
    EXPECT_EQ(x.dep, y.dep) << i;
    EXPECT_EQ(x.head, y.head) << i;
    EXPECT_EQ(x.morph, y.morph) << i;
    EXPECT_EQ(x.ent_iob, y.ent_iob) << i;
    EXPECT_EQ(x.ent_type, y.ent_type) << i;
    EXPECT_EQ(x.ent_kb_id, y.ent_kb_id) << i;
    EXPECT_EQ(x.sent_start, y.sent_start) << i;
    EXPECT_EQ(x.space, y.space) << i;
    EXPECT_EQ(a.token(i).norm(), b.token(i).norm()) << i;
  }
  ASSERT_EQ(a.cats().size(), b.cats().size());
  for (const auto& kv : a.cats()) EXPECT_DOUBLE_EQ(b.cats().at(kv.first), kv.second);
}

// Builds a DocBin message field by field so tests can break one thing at a time.
struct Msg {
  std::vector<uint64_t> attrs = {65};
  std::vector<uint64_t> tokens;
  std::string spaces;
  std::vector<int32_t> lengths;
  std::vector<std::string> strings;
  bool write_tokens_as_str = false;
  bool skip_lengths = false;
  int cats_count = -1;  // -1: one per doc

  std::string build() const {
    mp::Writer w;
    w.map_header(skip_lengths ? 6 : 7);
    w.str("version"); w.str("0.1");
    w.str("attrs"); w.array_header(attrs.size());
    for (auto a : attrs) w.uinteger(a);
    std::string t;
    for (uint64_t v : tokens)
      for (int k = 0; k < 8; ++k) t.push_back(char((v >> (8 * k)) & 0xff));
    w.str("tokens");
    if (write_tokens_as_str) w.str(t); else w.bin(t);
    w.str("spaces"); w.bin(spaces);
    if (!skip_lengths) {
      std::string l;
      for (int32_t v : lengths)
        for (int k = 0; k < 4; ++k) l.push_back(char((uint32_t(v) >> (8 * k)) & 0xff));
      w.str("lengths"); w.bin(l);
    }
    w.str("strings"); w.array_header(strings.size());
    for (auto& s : strings) w.str(s);
    w.str("cats");
    size_t nc = cats_count < 0 ? lengths.size() : size_t(cats_count);
    w.array_header(nc);
    for (size_t k = 0; k < nc; ++k) w.map_header(0);
    return formats::zlib_compress(w.bytes());
  }
};

// One doc "hello world": valid unless a test changes something.
Msg hello_msg() {
  Msg m;
  m.attrs = {65, 77, 79, 80};
  m.tokens = {string_id("hello"), 2, 0, 1, string_id("world"), 2, 0, uint64_t(-1)};
  m.spaces = std::string("\1\0", 2);
  m.lengths = {2};
  m.strings = {"", "hello", "world"};
  return m;
}

DataError docbin_error(const std::string& bytes) {
  return trfpipe::testing::expect_data_error([&] {
    DocBin db;
    db.from_bytes(bytes, "test.spacy");
    db.get_docs(std::make_shared<Vocab>());
  });
}

}  // namespace

TEST(DocBin, ReadsSpacyWrittenFileAsExpected) {
  auto expected = nlohmann::json::parse(read_all(shared_path("data/docbin/spacy-ner-example.expected.json")));
  auto vocab = std::make_shared<Vocab>();
  DocBin db = DocBin::from_disk(shared_path(kExample));
  std::vector<uint64_t> attrs;
  for (auto& a : expected["attrs"]) attrs.push_back(a.get<uint64_t>());
  EXPECT_EQ(db.attrs(), attrs);
  std::vector<Doc> docs = db.get_docs(vocab);
  ASSERT_EQ(docs.size(), expected["n_docs"].get<size_t>());
  for (size_t d = 0; d < docs.size(); ++d) {
    const auto& ex = expected["docs"][d];
    Doc& doc = docs[d];
    EXPECT_EQ(doc.text(), ex["text"].get<std::string>());
    ASSERT_EQ(doc.size(), ex["words"].size());
    for (size_t i = 0; i < doc.size(); ++i) {
      EXPECT_EQ(std::string(doc.token(i).text()), ex["words"][i].get<std::string>());
      EXPECT_EQ(doc.tokens()[i].space, ex["spaces"][i].get<bool>());
      EXPECT_EQ(doc.token(i).tag_(), ex["tags"][i].get<std::string>());
    }
    std::vector<std::array<std::string, 3>> want;
    for (auto& e : ex["ents"])
      want.push_back({std::to_string(e[0].get<int>()), std::to_string(e[1].get<int>()), e[2].get<std::string>()});
    EXPECT_EQ(ents_of(doc), want);
    EXPECT_EQ(doc.cats().size(), ex["cats"].size());
    for (auto it = ex["cats"].begin(); it != ex["cats"].end(); ++it)
      EXPECT_DOUBLE_EQ(doc.cats().at(it.key()), it.value().get<double>());
  }
  // Reserved symbols are stored as their small IDs (PERSON = 380, LOC = 385).
  EXPECT_EQ(docs[0].tokens()[2].ent_type, 380u);
  EXPECT_EQ(docs[1].tokens()[2].ent_type, 385u);
}

TEST(DocBin, WritingTheSpacyFileReproducesItsMsgpackContent) {
  const std::string original = read_all(shared_path(kExample));
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs = read_docbin(shared_path(kExample), vocab);
  DocBin out;
  for (auto& d : docs) out.add(d);
  const std::string ours_raw = out.to_msgpack();
  const std::string theirs_raw = formats::zlib_decompress(original);
  mp::Value ours = mp::decode(ours_raw), theirs = mp::decode(theirs_raw);
  // Same structure, field by field (clearer failures), then as a whole.
  ASSERT_EQ(ours.map.size(), theirs.map.size());
  for (size_t k = 0; k < theirs.map.size(); ++k) {
    EXPECT_EQ(ours.map[k].first.s, theirs.map[k].first.s);
    EXPECT_EQ(mp::encode(ours.map[k].second), mp::encode(theirs.map[k].second))
        << "field " << theirs.map[k].first.s;
  }
  EXPECT_EQ(ours_raw, theirs_raw);
  // Same zlib settings as Python's zlib.compress: the file itself comes out byte-identical.
  EXPECT_EQ(out.to_bytes(), original);
}

TEST(DocBin, RoundTripsEveryStoredAnnotation) {
  auto vocab = std::make_shared<Vocab>();
  Doc a = annotated_doc(vocab);
  Doc b(vocab, {"Short", "one"}, {true, false});
  set_has_unknown_spaces(b, false);
  TempDir tmp;
  const std::string path = (tmp / "round.spacy");
  write_docbin(path, std::vector<const Doc*>{&a, &b});
  // A fresh vocab: every string must travel in the file.
  auto vocab2 = std::make_shared<Vocab>();
  std::vector<Doc> back = read_docbin(path, vocab2);
  ASSERT_EQ(back.size(), 2u);
  expect_same_tokens(a, back[0]);
  expect_same_tokens(b, back[1]);
  EXPECT_EQ(back[0].token(1).morph_(), "Number=Sing|Person=3|Tense=Pres");
  EXPECT_EQ(back[0].token(0).norm_(), "apple-norm");
  EXPECT_EQ(back[0].token(0).pos_(), "PROPN");
  EXPECT_EQ(back[0].token(4).dep_(), "dobj");
  EXPECT_EQ(ents_of(back[0]).size(), 2u);
  // Writing the read docs again gives the same bytes.
  DocBin again;
  for (auto& d : back) again.add(d);
  EXPECT_EQ(again.to_bytes(), read_all(path));
}

TEST(DocBin, KeepsUnknownSpacesFlag) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"a", "b"}, {true, true});
  set_has_unknown_spaces(doc, true);
  DocBin db;
  db.add(doc);
  DocBin back;
  back.from_bytes(db.to_bytes());
  auto docs = back.get_docs(vocab);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_TRUE(has_unknown_spaces(docs[0]));
  EXPECT_EQ(docs[0].text(), "a b ");
  mp::Value msg = mp::decode(formats::zlib_decompress(db.to_bytes()));
  EXPECT_TRUE(msg.find("flags")->array[0].find("has_unknown_spaces")->boolean);
}

TEST(DocBin, EmptyDocBinAndEmptyDocRoundTrip) {
  auto vocab = std::make_shared<Vocab>();
  DocBin empty;
  DocBin back;
  back.from_bytes(empty.to_bytes());
  EXPECT_EQ(back.size(), 0u);
  EXPECT_TRUE(back.get_docs(vocab).empty());

  Doc nothing(vocab, {}, {});
  DocBin one;
  one.add(nothing);
  back.from_bytes(one.to_bytes());
  auto docs = back.get_docs(vocab);
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].size(), 0u);
}

TEST(DocBin, StoreUserDataWritesAnEmptyMapPerDoc) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"x"}, {false});
  DocBin db(docbin_all_attrs(), true);
  db.add(doc);
  mp::Value msg = mp::decode(db.to_msgpack());
  const mp::Value* ud = msg.find("user_data");
  ASSERT_NE(ud, nullptr);
  ASSERT_EQ(ud->array.size(), 1u);
  EXPECT_EQ(ud->array[0].s, std::string(1, char(0x80)));
  EXPECT_EQ(msg.find("span_groups")->array[0].s, std::string(1, char(0x90)));
  DocBin back;
  back.from_bytes(db.to_bytes());
  EXPECT_EQ(back.get_docs(vocab).size(), 1u);
}

TEST(DocBin, CustomAttrsKeepOrthFirstAndDropSpacy) {
  DocBin db({attrs::TAG, attrs::SPACY, attrs::LEMMA, attrs::ORTH});
  EXPECT_EQ(db.attrs(), (std::vector<uint64_t>{attrs::ORTH, attrs::LEMMA, attrs::TAG}));
  EXPECT_THROW(DocBin({999999}), ValueError);
}

TEST(DocBin, ValidHandBuiltMessageReads) {
  DocBin db;
  db.from_bytes(hello_msg().build(), "test.spacy");
  auto docs = db.get_docs(std::make_shared<Vocab>());
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].text(), "hello world");
  EXPECT_EQ(docs[0].tokens()[1].sent_start, -1);
}

TEST(DocBinErrors, MissingFile) {
  try {
    DocBin::from_disk("/nonexistent/dir/x.spacy");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(e.file(), "/nonexistent/dir/x.spacy");
  }
}

TEST(DocBinErrors, NotZlib) {
  DataError e = docbin_error("this is plain text, not a DocBin");
  EXPECT_EQ(e.file(), "test.spacy");
  EXPECT_NE(std::string(e.what()).find("not a DocBin"), std::string::npos) << e.what();
}

TEST(DocBinErrors, TruncatedFile) {
  const std::string original = read_all(shared_path(kExample));
  DataError e = docbin_error(original.substr(0, original.size() / 2));
  EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  // Cut by one byte only (the adler32 checksum is incomplete).
  docbin_error(original.substr(0, original.size() - 1));
}

TEST(DocBinErrors, BadMsgpack) {
  DataError e = docbin_error(formats::zlib_compress(std::string("\xdc\x00\x05\x01", 4)));
  EXPECT_NE(std::string(e.what()).find("invalid msgpack"), std::string::npos) << e.what();
}

TEST(DocBinErrors, MessageNotAMap) {
  mp::Writer w;
  w.array_header(0);
  DataError e = docbin_error(formats::zlib_compress(w.bytes()));
  EXPECT_NE(std::string(e.what()).find("expected a map"), std::string::npos) << e.what();
}

TEST(DocBinErrors, MissingKey) {
  Msg m = hello_msg();
  m.skip_lengths = true;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("'lengths'"), std::string::npos) << e.what();
}

TEST(DocBinErrors, WrongMsgpackType) {
  Msg m = hello_msg();
  m.write_tokens_as_str = true;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("'tokens' is a msgpack str"), std::string::npos) << e.what();
}

TEST(DocBinErrors, AttrsWithoutOrth) {
  Msg m = hello_msg();
  m.attrs = {66, 77, 79, 80};
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("ORTH"), std::string::npos) << e.what();
}

TEST(DocBinErrors, TokensNotWholeRows) {
  Msg m = hello_msg();
  m.tokens.pop_back();
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("whole number of rows"), std::string::npos) << e.what();
}

TEST(DocBinErrors, LengthsMismatch) {
  Msg m = hello_msg();
  m.lengths = {3};
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("add up to 3"), std::string::npos) << e.what();
  m.lengths = {-1, 3};
  docbin_error(m.build());
}

TEST(DocBinErrors, SpacesMismatch) {
  Msg m = hello_msg();
  m.spaces = std::string("\1", 1);
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("'spaces'"), std::string::npos) << e.what();
}

TEST(DocBinErrors, PerDocListWithWrongCount) {
  Msg m = hello_msg();
  m.cats_count = 2;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("'cats' has 2 entries for 1 docs"), std::string::npos) << e.what();
}

TEST(DocBinErrors, UnknownStringHashNamesTheDoc) {
  Msg m = hello_msg();
  m.strings = {"", "hello"};  // "world" missing
  DataError e = docbin_error(m.build());
  EXPECT_EQ(e.doc_index(), 0);
  EXPECT_NE(std::string(e.what()).find("unknown string hash"), std::string::npos) << e.what();
  // In a string attribute column (TAG) too.
  Msg t = hello_msg();
  t.attrs = {65, 75};
  t.tokens = {string_id("hello"), string_id("NOT-STORED-TAG"), string_id("world"), 0};
  DataError e2 = docbin_error(t.build());
  EXPECT_NE(std::string(e2.what()).find("TAG"), std::string::npos) << e2.what();
}

TEST(DocBinErrors, HeadOutsideDoc) {
  Msg m = hello_msg();
  m.tokens[2] = 5;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("HEAD"), std::string::npos) << e.what();
  m.tokens[2] = uint64_t(-1);  // token 0 pointing before the doc
  docbin_error(m.build());
}

TEST(DocBinErrors, EntIobOutOfRange) {
  Msg m = hello_msg();
  m.tokens[1] = 4;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("ENT_IOB"), std::string::npos) << e.what();
}

TEST(DocBinErrors, SentStartOutOfRange) {
  Msg m = hello_msg();
  m.tokens[3] = 2;
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("SENT_START"), std::string::npos) << e.what();
}

TEST(DocBinErrors, BadFlagsAndSpanGroups) {
  // Build a full valid message from a real DocBin, then swap one field.
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"x"}, {false});
  DocBin db;
  db.add(doc);
  mp::Value msg = mp::decode(db.to_msgpack());
  auto with = [&](const std::string& key, mp::Value v) {
    mp::Value copy = msg;
    for (auto& kv : copy.map)
      if (kv.first.s == key) kv.second = v;
    return formats::zlib_compress(mp::encode(copy));
  };
  mp::Value not_bool;
  not_bool.type = mp::Value::Type::Array;
  mp::Value flag;
  flag.type = mp::Value::Type::Map;
  mp::Value k;
  k.type = mp::Value::Type::Str;
  k.s = "has_unknown_spaces";
  mp::Value v;
  v.type = mp::Value::Type::Str;
  v.s = "yes";
  flag.map.emplace_back(k, v);
  not_bool.array.push_back(flag);
  DataError e = docbin_error(with("flags", not_bool));
  EXPECT_EQ(e.doc_index(), 0);

  mp::Value groups;
  groups.type = mp::Value::Type::Array;
  mp::Value junk;
  junk.type = mp::Value::Type::Bin;
  junk.s = "\xc1\xc1";
  groups.array.push_back(junk);
  DataError e2 = docbin_error(with("span_groups", groups));
  EXPECT_NE(std::string(e2.what()).find("span_groups"), std::string::npos) << e2.what();
}

TEST(DocBinErrors, AddingADocWithAnUnknownStringIdIsAValueError) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"x"}, {false});
  doc.tokens()[0].tag = string_id("a tag that was never added");
  DocBin db;
  EXPECT_THROW(db.add(doc), ValueError);
}

// ---- span groups (doc.spans), spaCy 3.8's layout

namespace {

// struct.pack(">QQQllll", id, kb_id, label, start, end, start_char, end_char)
std::string pack_span(uint64_t id, uint64_t kb_id, uint64_t label, int32_t start, int32_t end,
                      int32_t start_char, int32_t end_char) {
  std::string out;
  for (uint64_t v : {id, kb_id, label})
    for (int k = 7; k >= 0; --k) out.push_back(char((v >> (8 * k)) & 0xff));
  for (int32_t v : {start, end, start_char, end_char})
    for (int k = 3; k >= 0; --k) out.push_back(char((uint32_t(v) >> (8 * k)) & 0xff));
  return out;
}

// SpanGroup.to_bytes as spaCy writes it.
std::string group_bytes(const std::string& name, const std::vector<std::string>& spans,
                        const std::string& attr_key = "") {
  mp::Writer w;
  w.map_header(3);
  w.str("name"); w.str(name);
  w.str("attrs"); w.map_header(attr_key.empty() ? 0 : 1);
  if (!attr_key.empty()) { w.str(attr_key); w.uinteger(7); }
  w.str("spans"); w.array_header(spans.size());
  for (const auto& s : spans) w.bin(s);
  return w.take();
}

// The msgpack of a DocBin holding `docs`, with its span_groups replaced by `groups` (one bin
// per doc).
std::string with_span_groups(const std::vector<Doc>& docs, const std::vector<std::string>& groups) {
  DocBin db;
  for (const Doc& d : docs) db.add(d);
  mp::Value msg = mp::decode(db.to_msgpack());
  for (auto& kv : msg.map)
    if (kv.first.s == "span_groups") {
      kv.second.array.clear();
      for (const auto& g : groups) {
        mp::Value v;
        v.type = mp::Value::Type::Bin;
        v.s = g;
        kv.second.array.push_back(v);
      }
    }
  return mp::encode(msg);
}

const mp::Value& field(const mp::Value& msg, const std::string& key) { return *msg.find(key); }

}  // namespace

TEST(DocBinSpanGroups, RoundTripKeepsGroupsOrderOverlapAttrsAndIds) {
  auto vocab = std::make_shared<Vocab>();
  StringStore& ss = vocab->strings();
  Doc doc(vocab, {"Alice", "and", "Bob", "met", "in", "Paris"});
  SpanGroup people;
  people.name = "people";
  people.attrs = Json{{"source", "manual"}, {"n", 2}, {"scores", {0.5, -1}}};
  people.spans = {{0, 1, ss.add("PERSON"), ss.add("Q1"), ss.add("alice-id")},
                  {0, 3, ss.add("GROUP"), 0, 0},
                  {2, 3, ss.add("PERSON"), 0, 0}};
  doc.spans().set_group("people", people);
  doc.spans().set("empty", {});
  DocBin db;
  db.add(doc);
  auto strings = db.strings();
  for (const char* s : {"PERSON", "GROUP", "Q1", "alice-id"})
    EXPECT_NE(std::find(strings.begin(), strings.end(), s), strings.end()) << s;

  const std::string bytes = db.to_bytes();
  DocBin back;
  back.from_bytes(bytes);
  auto vocab2 = std::make_shared<Vocab>();
  auto docs = back.get_docs(vocab2);
  ASSERT_EQ(docs.size(), 1u);
  const SpanGroups& groups = docs[0].spans();
  EXPECT_EQ(groups.names(), (std::vector<std::string>{"people", "empty"}));
  EXPECT_EQ(groups.group("people").spans, people.spans);
  EXPECT_EQ(groups.group("people").attrs, people.attrs);
  EXPECT_TRUE(groups.group("empty").spans.empty());
  EXPECT_EQ(groups.group("empty").name, "empty");
  EXPECT_EQ(vocab2->strings()[groups.group("people").spans[0].kb_id], "Q1");
  EXPECT_EQ(docs[0].spans().get("people")[1].text(), "Alice and Bob");
  EXPECT_EQ(back.to_bytes(), bytes);  // read bytes are written back unchanged
  DocBin again;
  again.add(docs[0]);
  EXPECT_EQ(again.to_msgpack(), db.to_msgpack());  // and re-encoding gives the same bytes

  // The layout: {group bytes: [keys]} with spans packed big-endian.
  mp::Value msg = mp::decode(db.to_msgpack());
  mp::Value sg = mp::decode(field(msg, "span_groups").array[0].s);
  ASSERT_TRUE(sg.is_map());
  ASSERT_EQ(sg.map.size(), 2u);
  EXPECT_EQ(sg.map[0].second.array[0].s, "people");
  mp::Value g = mp::decode(sg.map[0].first.s);
  EXPECT_EQ(field(g, "name").s, "people");
  EXPECT_EQ(field(g, "spans").array[1].s, pack_span(0, 0, ss["GROUP"], 0, 3, 0, 13));
  // A doc without groups is msgpack [].
  DocBin plain;
  plain.add(Doc(vocab, {"x"}));
  EXPECT_EQ(field(mp::decode(plain.to_msgpack()), "span_groups").array[0].s, std::string(1, char(0x90)));
}

TEST(DocBinSpanGroups, IdenticalGroupsShareOneEntry) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"Acme", "sells"});
  SpanGroup g;
  g.name = "sc";
  g.spans = {{0, 1, vocab->strings().add("ORG"), 0, 0}};
  doc.spans().set_group("sc", g);
  doc.spans().set_group("alias", g);  // same name, same spans: same bytes
  DocBin db;
  db.add(doc);
  mp::Value sg = mp::decode(field(mp::decode(db.to_msgpack()), "span_groups").array[0].s);
  ASSERT_EQ(sg.map.size(), 1u);
  ASSERT_EQ(sg.map[0].second.array.size(), 2u);
  EXPECT_EQ(sg.map[0].second.array[1].s, "alias");
}

TEST(DocBinSpanGroups, ReadsSpacysMapFormAndWritesItBackIdentically) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs;
  docs.emplace_back(vocab, std::vector<std::string>{"Acme", "hired", "Bo"});
  const hash_t org = string_id("ORG"), per = string_id("PERSON");
  const std::string sc = group_bytes("sc", {pack_span(0, 0, org, 0, 1, 0, 4),
                                            pack_span(0, 0, per, 2, 3, 11, 13)}, "threshold");
  const std::string other = group_bytes("other", {});
  mp::Writer w;
  w.map_header(2);
  w.bin(sc); w.array_header(2); w.str("sc"); w.str("sc_copy");
  w.bin(other); w.array_header(1); w.str("other");
  const std::string groups = w.take();
  vocab->strings().add("ORG");
  vocab->strings().add("PERSON");
  const std::string message = with_span_groups(docs, {groups});

  DocBin db;
  db.from_bytes(formats::zlib_compress(message));
  auto read = db.get_docs(vocab);
  ASSERT_EQ(read.size(), 1u);
  const SpanGroups& g = read[0].spans();
  EXPECT_EQ(g.names(), (std::vector<std::string>{"sc", "sc_copy", "other"}));
  auto spans = read[0].spans().get("sc_copy");
  ASSERT_EQ(spans.size(), 2u);
  EXPECT_EQ(spans[1].text(), "Bo");
  EXPECT_EQ(spans[1].label_(), "PERSON");
  EXPECT_EQ(g.group("sc").attrs, (Json{{"threshold", 7}}));
  EXPECT_EQ(g.group("sc_copy").name, "sc");
  EXPECT_EQ(db.to_msgpack(), message);
  // Re-adding the read doc writes the same span group bytes.
  DocBin again;
  again.add(read[0]);
  EXPECT_EQ(field(mp::decode(again.to_msgpack()), "span_groups").array[0].s, groups);
}

TEST(DocBinSpanGroups, ReadsTheOldListFormAndEmptyBytes) {
  auto vocab = std::make_shared<Vocab>();
  vocab->strings().add("ORG");
  std::vector<Doc> docs;
  docs.emplace_back(vocab, std::vector<std::string>{"Acme", "hired", "Bo"});
  docs.emplace_back(vocab, std::vector<std::string>{"nothing"});
  docs.emplace_back(vocab, std::vector<std::string>{"nothing"});
  const hash_t org = string_id("ORG");
  mp::Writer w;
  w.array_header(3);
  w.bin(group_bytes("a", {pack_span(0, 0, org, 0, 1, 0, 4)}));
  w.bin(group_bytes("b", {pack_span(0, 0, org, 0, 3, 0, 13)}));
  w.bin(group_bytes("a", {}));  // a later group of the same name wins, as spaCy
  DocBin db;
  db.from_bytes(formats::zlib_compress(with_span_groups(docs, {w.take(), "", std::string(1, char(0x90))})));
  auto read = db.get_docs(vocab);
  ASSERT_EQ(read.size(), 3u);
  EXPECT_EQ(read[0].spans().names(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(read[0].spans().get("a").empty());
  EXPECT_EQ(read[0].spans().get("b")[0].text(), "Acme hired Bo");
  EXPECT_TRUE(read[1].spans().empty());
  EXPECT_TRUE(read[2].spans().empty());
}

TEST(DocBinSpanGroupErrors, MalformedBytesNameTheDoc) {
  auto vocab = std::make_shared<Vocab>();
  vocab->strings().add("ORG");
  std::vector<Doc> docs;
  docs.emplace_back(vocab, std::vector<std::string>{"fine"});
  docs.emplace_back(vocab, std::vector<std::string>{"Acme", "hired"});
  const hash_t org = string_id("ORG");
  auto error_for = [&](const std::string& groups) {
    return docbin_error(formats::zlib_compress(with_span_groups(docs, {"", groups})));
  };
  auto map_of = [](const std::string& group) {
    mp::Writer w;
    w.map_header(1);
    w.bin(group); w.array_header(1); w.str("sc");
    return w.take();
  };
  std::string short_span = pack_span(0, 0, org, 0, 1, 0, 4);
  short_span.pop_back();
  struct Case {
    std::string bytes, expect;
  } cases[] = {
      {"\xc1", "span_groups"},
      {std::string("\x92\x01\x02", 3), "expected bin"},
      {map_of("\x93\x01\x02\x03"), "expected a map"},
      {map_of(group_bytes("sc", {short_span})), "span 0 of span group 'sc'"},
      {map_of(group_bytes("sc", {pack_span(0, 0, org, 1, 0, 0, 0)})), "span group 'sc'"},
      {map_of(group_bytes("sc", {pack_span(0, 0, org, 0, 5, 0, 4)})), "out of bounds"},
      {map_of(group_bytes("sc", {pack_span(0, 0, 12345, 0, 1, 0, 4)})), "unknown string hash 12345"},
  };
  for (const Case& c : cases) {
    DataError e = error_for(c.bytes);
    EXPECT_EQ(e.doc_index(), 1) << c.expect;
    EXPECT_NE(std::string(e.what()).find(c.expect), std::string::npos) << e.what();
  }
  // Keys must be a non-empty list of strings.
  mp::Writer w;
  w.map_header(1);
  w.bin(group_bytes("sc", {})); w.array_header(0);
  EXPECT_EQ(error_for(w.take()).doc_index(), 1);
}

// ---- hostile files (issue #19): declared counts, nesting, zlib bombs, invalid strings --------

TEST(DocBinHostile, NestedArrayCountsDoNotReserveMemory) {
  // 9.7 KB of msgpack whose arrays each declare as many elements as bytes remain, nested 500
  // deep: reserving every declared count up front took gigabytes.
  std::string msg;
  for (int d = 0; d < 500; ++d) {
    const uint32_t n = uint32_t(10000 - 5 * d);
    msg += char(0xdd);
    for (int k = 3; k >= 0; --k) msg += char((n >> (8 * k)) & 0xff);
  }
  msg += std::string(7000, '\0');
  auto start = std::chrono::steady_clock::now();
  DataError e = docbin_error(formats::zlib_compress(msg));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_NE(std::string(e.what()).find("msgpack"), std::string::npos) << e.what();
}

// zlib stream of `head` and then `mib` MiB of zero bytes, without compressing (or holding) them:
// one MiB of zeros is deflated once into byte-aligned blocks (Z_FULL_FLUSH) that depend on nothing
// before them, and those bytes are repeated.
std::string zeros_zlib(const std::string& head, size_t mib) {
  auto raw_deflate = [](const std::string& in, int flush) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, uLong(in.size())) + 64, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = uInt(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = uInt(out.size());
    deflate(&zs, flush);
    out.resize(out.size() - zs.avail_out);
    deflateEnd(&zs);
    return out;
  };
  const std::string zeros(1 << 20, '\0');
  const std::string block = raw_deflate(zeros, Z_FULL_FLUSH);
  std::string out = "\x78\xda" + raw_deflate(head, Z_FULL_FLUSH);
  uLong adler = adler32(adler32(0, nullptr, 0), reinterpret_cast<const Bytef*>(head.data()), uInt(head.size()));
  for (size_t k = 0; k < mib; ++k) {
    out += block;
    adler = adler32(adler, reinterpret_cast<const Bytef*>(zeros.data()), uInt(zeros.size()));
  }
  out += std::string("\x01\x00\x00\xff\xff", 5);  // final empty stored block
  for (int k = 3; k >= 0; --k) out += char((adler >> (8 * k)) & 0xff);
  return out;
}

TEST(DocBinHostile, ManyTinyValuesAndZlibBombsAreRefused) {
  // 1 GiB of zeros in about 1 MB: inflating all of it is refused as it inflates (at 256 MiB,
  // the floor for small files).
  const std::string bomb = zeros_zlib("", 1024);
  ASSERT_EQ(formats::zlib_decompress(zeros_zlib("ab", 2)), "ab" + std::string(2 << 20, '\0'));
  ASSERT_LT(bomb.size(), 2u << 20);
  auto start = std::chrono::steady_clock::now();
  DataError e = docbin_error(bomb);
  EXPECT_NE(std::string(e.what()).find("inflates to more than"), std::string::npos) << e.what();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  // 10 MiB of one-byte values (10 KB compressed): inflating is allowed, decoding 10 million
  // values of ~100 bytes each is not.
  e = docbin_error(zeros_zlib(std::string("\xdd\x00\x98\x96\x80", 5), 10));
  EXPECT_NE(std::string(e.what()).find("MiB decoded"), std::string::npos) << e.what();
}

TEST(DocBinHostile, InvalidUtf8StringsAreAnError) {
  Msg m = hello_msg();
  m.strings.push_back("bad \xff byte");
  DataError e = docbin_error(m.build());
  EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
}

TEST(DocBinHostile, IWithoutBNamesTheFileAndDoc) {
  // spaCy's [E093] surfaced when the entities were first used, without the file; now at reading.
  Msg m = hello_msg();
  m.tokens[1] = 1;  // "hello" is I- without a B-
  TempDir tmp;
  const std::string path = tmp.file("e093.spacy", m.build());
  DataError e = trfpipe::testing::expect_data_error([&] { read_docbin(path, std::make_shared<Vocab>()); });
  EXPECT_EQ(e.file(), path);
  EXPECT_EQ(e.doc_index(), 0);
  EXPECT_NE(std::string(e.what()).find("E093"), std::string::npos) << e.what();
}

TEST(MsgpackHostile, DecodingIsBoundedByMemoryNotByDeclaredCounts) {
  // A map declaring 2^32-1 pairs with 10 bytes behind it: refused before any allocation.
  EXPECT_THROW(mp::decode(std::string("\xdf\xff\xff\xff\xff", 5) + std::string(10, '\0')), mp::DecodeError);
  // One million one-byte values fit the default budget of a 1 MB input only just not.
  std::string ones = std::string("\xdd\x00\x0f\x42\x40", 5) + std::string(1000000, '\x01');
  EXPECT_THROW(mp::decode(ones), mp::DecodeError);
  EXPECT_EQ(mp::decode(ones, size_t{1} << 30).array.size(), 1000000u);
}

// A DocBin in spaCy's exact layout (msgpack fields, attrs ORTH/DEP/HEAD/SENT_START, HEAD as the
// two's-complement offset head.i - i) with two parsed sentences: heads and deps read exactly,
// and, as spaCy's Doc.from_array, the tree's navigation data and sentence starts come from the
// heads (the file's SENT_START column here wrongly marks one sentence).
TEST(DocBin, ReadsSpacysLayoutWithHeadsAndDeps) {
  Msg m;
  m.attrs = {65, 76, 79, 80};  // ORTH, DEP, HEAD, SENT_START
  const std::vector<std::string> words = {"Bob", "sleeps", ".", "Ann", "reads", "books", "."};
  const std::vector<std::string> deps = {"nsubj", "ROOT", "punct", "nsubj", "ROOT", "dobj", "punct"};
  const std::vector<int64_t> heads = {1, 1, 1, 4, 4, 4, 4};
  for (size_t i = 0; i < words.size(); ++i) {
    m.tokens.push_back(string_id(words[i]));
    m.tokens.push_back(string_id(deps[i]));
    m.tokens.push_back(uint64_t(heads[i] - int64_t(i)));
    m.tokens.push_back(i == 0 ? 1 : uint64_t(-1));
  }
  m.spaces = std::string("\1\1\1\1\1\1\0", 7);
  m.lengths = {7};
  m.strings = {"", ".", "Ann", "Bob", "ROOT", "books", "reads", "sleeps"};
  DocBin db;
  db.from_bytes(m.build(), "parsed.spacy");
  std::vector<Doc> docs = db.get_docs(std::make_shared<Vocab>());
  ASSERT_EQ(docs.size(), 1u);
  Doc& d = docs[0];
  for (size_t i = 0; i < words.size(); ++i) {
    EXPECT_EQ(d[i].head().i(), size_t(heads[i])) << i;
    EXPECT_EQ(d[i].dep_(), deps[i]) << i;
  }
  EXPECT_TRUE(d.has_annotation("DEP"));
  EXPECT_TRUE(d[3].is_sent_start().value());  // from the parse, not the SENT_START column
  EXPECT_EQ(d.sents().size(), 2u);
  EXPECT_EQ(d[4].n_lefts(), 1u);
  EXPECT_EQ(d[4].n_rights(), 2u);
  EXPECT_EQ(d[4].left_edge().i(), 3u);
  EXPECT_EQ(d[1].right_edge().i(), 2u);
  // Written back: the SENT_START column now follows the parse, the rest is unchanged.
  DocBin again(docbin_all_attrs(), false);
  again.add(d);
  std::vector<Doc> back = [&] {
    DocBin r;
    r.from_bytes(again.to_bytes(), "again.spacy");
    return r.get_docs(std::make_shared<Vocab>());
  }();
  expect_same_tokens(d, back[0]);
}
