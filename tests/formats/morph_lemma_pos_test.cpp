// MORPH, LEMMA and POS in the data formats: a DocBin message built field by field in spaCy's
// exact layout (DocBin.to_bytes of a Doc with morphs, lemmas and POS) reads into exactly those
// annotations and is written back byte for byte; CoNLL-U FEATS/LEMMA/UPOS survive convert.
#include <gtest/gtest.h>

#include "data_test_util.hpp"
#include "formats/data_util.hpp"
#include "formats/msgpack_lite.hpp"
#include "trfpipe/data.hpp"
#include "trfpipe/morphology.hpp"

using namespace trfpipe;
using trfpipe::testing::shared_path;
using trfpipe::testing::TempDir;
namespace mp = trfpipe::formats::msgpack;

namespace {

struct Tok {
  const char *text, *norm, *lemma, *pos, *tag, *morph;  // morph "_" = the empty analysis
  bool space;
};

// spaCy 3.8's DocBin message for one doc of these tokens (no deps, ents or spans): attrs
// sorted with ORTH first, token rows as little-endian uint64, strings sorted (str(morph) is ""
// for the empty analysis), one cats dict, flags and span group bytes per doc.
std::string spacy_message(const std::vector<Tok>& toks) {
  const std::vector<uint64_t> attrs = {65, 67, 73, 74, 75, 76, 77, 78, 79, 80, 452, 453, 454};
  std::set<std::string> strings;
  std::string tokens, spaces;
  auto put = [&](uint64_t v) {
    for (int k = 0; k < 8; ++k) tokens.push_back(char((v >> (8 * k)) & 0xff));
  };
  for (size_t i = 0; i < toks.size(); ++i) {
    const Tok& t = toks[i];
    const std::string morph = t.morph;
    put(string_id(t.text));           // ORTH
    put(string_id(t.norm));           // NORM
    put(string_id(t.lemma));          // LEMMA
    put(symbol_id(t.pos));            // POS (a symbol)
    put(string_id(t.tag));            // TAG
    put(0);                           // DEP
    put(0);                           // ENT_IOB
    put(0);                           // ENT_TYPE
    put(0);                           // HEAD
    put(i == 0 ? 1 : 0);              // SENT_START: spaCy marks the first token
    put(0);                           // ENT_KB_ID
    put(string_id(morph));            // MORPH: the normalized string's ID ("_" = 456)
    put(0);                           // ENT_ID
    spaces.push_back(t.space ? 1 : 0);
    for (std::string s : {std::string(t.text), std::string(t.tag), std::string(t.lemma),
                          std::string(t.norm), morph == "_" ? std::string() : morph,
                          std::string()})
      strings.insert(s);
  }
  mp::Writer w;
  w.map_header(9);
  w.str("version"); w.str("0.1");
  w.str("attrs"); w.array_header(attrs.size());
  for (uint64_t a : attrs) w.uinteger(a);
  w.str("tokens"); w.bin(tokens);
  w.str("spaces"); w.bin(spaces);
  const int32_t n = int32_t(toks.size());
  w.str("lengths"); w.bin(std::string(reinterpret_cast<const char*>(&n), 4));
  w.str("strings"); w.array_header(strings.size());
  for (const auto& s : strings) w.str(s);
  w.str("cats"); w.array_header(1); w.map_header(0);
  w.str("flags"); w.array_header(1); w.map_header(1);
  w.str("has_unknown_spaces"); w.boolean(false);
  w.str("span_groups"); w.array_header(1); w.bin("\x90");  // msgpack([])
  return w.take();
}

const std::vector<Tok>& she_likes() {
  static const std::vector<Tok> t = {
      {"She", "she", "she", "PRON", "PRP", "Case=Nom|Gender=Fem|Number=Sing|Person=3|PronType=Prs", true},
      {"likes", "likes", "like", "VERB", "VBZ", "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin", true},
      {"the", "the", "the", "DET", "DT", "Definite=Def|PronType=Art", true},
      {"Häuser", "häuser", "Haus", "NOUN", "NNS", "Case=Acc,Nom|Number=Plur", false},
      {"!", "!", "!", "PUNCT", ".", "_", false},
  };
  return t;
}

}  // namespace

TEST(DocBinMorph, SpacysLayoutReadsExactlyAndWritesBackByteForByte) {
  const std::string msg = spacy_message(she_likes());
  DocBin db;
  db.from_bytes(formats::zlib_compress(msg), "spacy-layout");
  auto vocab = std::make_shared<Vocab>();  // every string must come from the file
  std::vector<Doc> docs = db.get_docs(vocab);
  ASSERT_EQ(docs.size(), 1u);
  Doc& doc = docs[0];
  ASSERT_EQ(doc.size(), she_likes().size());
  EXPECT_EQ(doc.text(), "She likes the Häuser!");
  for (size_t i = 0; i < doc.size(); ++i) {
    const Tok& t = she_likes()[i];
    Token tok = doc[i];
    EXPECT_EQ(tok.lemma_(), t.lemma) << i;
    EXPECT_EQ(tok.pos_(), t.pos) << i;
    EXPECT_EQ(tok.tag_(), t.tag) << i;
    EXPECT_EQ(tok.data().morph, string_id(t.morph)) << i;
    EXPECT_TRUE(tok.has_morph()) << i;
    EXPECT_EQ(tok.morph().to_string(), std::string(t.morph) == "_" ? "" : t.morph) << i;
  }
  EXPECT_EQ(doc[4].data().morph, 456u);  // the empty analysis is spaCy's symbol "_"
  EXPECT_EQ(doc[3].morph().get("Case"), (std::vector<std::string>{"Acc", "Nom"}));
  EXPECT_EQ(doc[1].morph().get("Person"), std::vector<std::string>{"3"});
  EXPECT_EQ(doc[0].data().pos, 95u);  // PRON
  EXPECT_TRUE(doc.has_annotation("MORPH", true));
  EXPECT_TRUE(doc.has_annotation("LEMMA", true));
  EXPECT_EQ(doc.to_json()["tokens"][4]["morph"], "");
  EXPECT_EQ(doc.to_json()["tokens"][3]["morph"], "Case=Acc,Nom|Number=Plur");

  DocBin out;
  out.add(doc);
  EXPECT_EQ(out.to_msgpack(), msg);
}

TEST(DocBinMorph, UnsetMorphIsZeroAndStaysUnset) {
  auto vocab = std::make_shared<Vocab>();
  Doc doc(vocab, {"a", "b"});
  doc[0].set_morph("Foo=Bar");
  DocBin db;
  db.add(doc);
  DocBin back;
  back.from_bytes(db.to_bytes());
  auto docs = back.get_docs(std::make_shared<Vocab>());
  EXPECT_EQ(docs[0][0].morph().to_string(), "Foo=Bar");
  EXPECT_FALSE(docs[0][1].has_morph());
  EXPECT_EQ(docs[0].tokens()[1].morph, 0u);
}

TEST(ConlluMorph, UdEwtFeatsLemmasAndUposSurviveConvertAndDocBin) {
  auto vocab = std::make_shared<Vocab>();
  std::vector<Doc> docs =
      read_conllu(shared_path("data/corpora/ud_english_ewt/en_ewt-ud-dev.conllu"), vocab, 10);
  TempDir tmp;
  const std::string path = tmp / "dev.spacy";
  write_docbin(path, docs);
  std::vector<Doc> back = read_docbin(path, std::make_shared<Vocab>());
  ASSERT_EQ(back.size(), docs.size());
  // "From the AP comes this story :"
  Doc& d = back[0];
  EXPECT_EQ(std::string(d[3].text()), "comes");
  EXPECT_EQ(d[3].lemma_(), "come");
  EXPECT_EQ(d[3].pos_(), "VERB");
  EXPECT_EQ(d[3].morph().to_string(), "Mood=Ind|Number=Sing|Person=3|Tense=Pres|VerbForm=Fin");
  EXPECT_EQ(d[1].morph().to_dict(), (FeatsDict{{"Definite", "Def"}, {"PronType", "Art"}}));
  EXPECT_EQ(d[0].morph(), MorphAnalysis());  // FEATS "_": set, empty
  EXPECT_TRUE(d[0].has_morph());
  size_t n = 0;
  for (size_t k = 0; k < docs.size(); ++k)
    for (size_t i = 0; i < docs[k].size(); ++i, ++n) {
      ASSERT_EQ(back[k][i].morph_(), docs[k][i].morph_());
      ASSERT_EQ(back[k][i].lemma_(), docs[k][i].lemma_());
      ASSERT_EQ(back[k][i].pos_(), docs[k][i].pos_());
    }
  EXPECT_EQ(n, 25147u);
}
