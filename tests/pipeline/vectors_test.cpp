// Vectors (spaCy's default-mode table): lookups, the .npy / key2row folder layout with the table
// memory-mapped on load, deduplication and pruning, and Token/Span/Doc vectors from the table.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/temp_dir.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/language.hpp"
#include "trfpipe/vectors.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Three words: "cat" (1, 0, 0), "dog" (0.8, 0.6, 0), "car" (0, 0, 2).
std::shared_ptr<Vectors> animals() {
  auto v = std::make_shared<Vectors>(std::vector<float>{1, 0, 0, 0.8f, 0.6f, 0, 0, 0, 2}, 3, 3);
  v->add(string_id("cat"), 0);
  v->add(string_id("dog"), 1);
  v->add(string_id("car"), 2);
  return v;
}

std::shared_ptr<Vocab> vocab_with(std::shared_ptr<Vectors> v) {
  auto vocab = std::make_shared<Vocab>("en");
  vocab->set_vectors(std::move(v));
  return vocab;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, na = 0, nb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += double(a[i]) * b[i];
    na += double(a[i]) * a[i];
    nb += double(b[i]) * b[i];
  }
  return dot / std::sqrt(na * nb);
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace

TEST(Vectors, FindGetAndShape) {
  auto v = animals();
  EXPECT_EQ(v->rows(), 3);
  EXPECT_EQ(v->cols(), 3);
  EXPECT_EQ(v->size(), 9u);
  EXPECT_EQ(v->n_keys(), 3u);
  EXPECT_EQ(v->find(string_id("dog")), 1);
  EXPECT_EQ(v->find(string_id("cow")), -1);
  EXPECT_EQ(v->get(string_id("car")), (std::vector<float>{0, 0, 2}));
  EXPECT_EQ(v->get(string_id("cow")), (std::vector<float>{0, 0, 0}));
  EXPECT_THROW(v->add(string_id("cow"), 3), ValueError);
  EXPECT_TRUE(Vectors().empty());
}

TEST(Vectors, TokenSpanDocVectorsAndSimilarityComeFromTheTable) {
  auto vocab = vocab_with(animals());
  Doc doc(vocab, {"cat", "dog", "zebra", "car"});
  EXPECT_EQ(doc[0].vector(), (std::vector<float>{1, 0, 0}));
  EXPECT_TRUE(doc[1].has_vector());
  // Out of vocabulary: zeros and no vector, as spaCy.
  EXPECT_EQ(doc[2].vector(), (std::vector<float>{0, 0, 0}));
  EXPECT_FALSE(doc[2].has_vector());
  EXPECT_EQ(doc[2].vector_norm(), 0.0);
  EXPECT_EQ(doc[2].similarity(doc[0]), 0.0);
  EXPECT_NEAR(doc[0].similarity(doc[1]), cosine(doc[0].vector(), doc[1].vector()), 1e-6);
  EXPECT_NEAR(doc[0].similarity(doc[1]), 0.8, 1e-6);
  EXPECT_NEAR(doc[3].vector_norm(), 2.0, 1e-6);
  // Span and Doc: the mean of the token vectors (an OOV token counts as zeros).
  std::vector<float> mean = doc.vector();
  ASSERT_EQ(mean.size(), 3u);
  EXPECT_NEAR(mean[0], 1.8f / 4, 1e-6);
  EXPECT_NEAR(mean[1], 0.6f / 4, 1e-6);
  EXPECT_NEAR(mean[2], 2.0f / 4, 1e-6);
  EXPECT_TRUE(doc.has_vector());
  Span first_two = doc.span(0, 2);
  EXPECT_EQ(first_two.vector(), (std::vector<float>{0.9f, 0.3f, 0}));
  EXPECT_TRUE(first_two.has_vector());
  EXPECT_FALSE(doc.span(2, 3).has_vector());
  EXPECT_EQ(doc.span(1, 1).vector(), (std::vector<float>{0, 0, 0}));  // empty span: zeros
  Doc other(vocab, {"car"});
  EXPECT_NEAR(doc.similarity(other), cosine(doc.vector(), other.vector()), 1e-6);
  EXPECT_NEAR(first_two.similarity(other.span(0, 1)),
              cosine(first_two.vector(), other.span(0, 1).vector()), 1e-6);
  Doc unknown(vocab, {"zebra"});
  EXPECT_FALSE(unknown.has_vector());
}

TEST(Vectors, TheTableWinsOverDocTensorAndHooksWinOverTheTable) {
  auto vocab = vocab_with(animals());
  Doc doc(vocab, {"cat", "dog"});
  doc.tensor() = Matrix(2, 2, 5.f);
  EXPECT_EQ(doc[0].vector(), (std::vector<float>{1, 0, 0}));  // the table, not doc.tensor
  EXPECT_EQ(doc.vector(), (std::vector<float>{0.9f, 0.3f, 0}));
  doc.user_token_hooks().vector = [](const Token&) { return std::vector<float>{7, 7}; };
  doc.user_hooks().vector = [](const Doc&) { return std::vector<float>{1}; };
  doc.user_token_hooks().has_vector = [](const Token&) { return false; };
  EXPECT_EQ(doc[0].vector(), (std::vector<float>{7, 7}));
  EXPECT_EQ(doc.vector(), (std::vector<float>{1}));
  EXPECT_FALSE(doc[0].has_vector());
  // Without a table, the tensor is used (as before).
  Doc plain(std::make_shared<Vocab>("en"), {"cat"});
  EXPECT_FALSE(plain[0].has_vector());
  EXPECT_TRUE(plain[0].vector().empty());
  plain.tensor() = Matrix(1, 2, 3.f);
  EXPECT_EQ(plain[0].vector(), (std::vector<float>{3, 3}));
  EXPECT_TRUE(plain[0].has_vector());
  EXPECT_TRUE(plain.has_vector());
}

TEST(Vectors, ToDiskWritesNumpyAndMsgpackAndFromDiskMapsTheTable) {
  TempDir tmp;
  auto v = animals();
  v->to_disk(tmp / "vocab");
  const std::string npy = slurp(tmp / "vocab/vectors");
  ASSERT_GT(npy.size(), 10u);
  EXPECT_EQ(npy.substr(0, 6), "\x93NUMPY");
  const size_t header_len = uint8_t(npy[8]) | size_t(uint8_t(npy[9])) << 8;
  EXPECT_EQ((10 + header_len) % 64, 0u);  // numpy's alignment
  EXPECT_NE(npy.find("'descr': '<f4', 'fortran_order': False, 'shape': (3, 3)"), std::string::npos);
  EXPECT_EQ(npy.size(), 10 + header_len + 9 * sizeof(float));
  float last;
  std::memcpy(&last, npy.data() + npy.size() - 4, 4);
  EXPECT_EQ(last, 2.f);
  const std::string key2row = slurp(tmp / "vocab/key2row");
  EXPECT_EQ(uint8_t(key2row[0]), 0x83);  // fixmap of 3 entries
  EXPECT_EQ(uint8_t(key2row[1]), 0xcf);  // a uint64 key
  EXPECT_NE(slurp(tmp / "vocab/vectors.cfg").find("\"default\""), std::string::npos);

  auto loaded = Vectors::from_disk(tmp / "vocab");
  EXPECT_TRUE(loaded->is_mapped());
  EXPECT_EQ(loaded->rows(), 3);
  EXPECT_EQ(loaded->cols(), 3);
  EXPECT_EQ(loaded->key2row(), v->key2row());
  EXPECT_EQ(std::memcmp(loaded->data(), v->data(), 9 * sizeof(float)), 0);
  EXPECT_EQ(loaded->get(string_id("dog")), v->get(string_id("dog")));
}

TEST(Vectors, MalformedFilesAreDataErrorsNamingTheFile) {
  TempDir tmp;
  animals()->to_disk(tmp / "ok");
  auto expect_error = [&](const std::string& dir, const std::string& file,
                          const std::string& part) {
    try {
      Vectors::from_disk(dir);
      ADD_FAILURE() << "no error for " << file;
    } catch (const DataError& e) {
      EXPECT_EQ(e.file(), (fs::path(dir) / file).string()) << e.what();
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  fs::create_directories(tmp / "f8");
  fs::copy(tmp / "ok/key2row", tmp / "f8/key2row");
  std::string npy = slurp(tmp / "ok/vectors");
  std::string f8 = npy;
  f8.replace(f8.find("<f4"), 3, "<f8");
  tmp.file("f8/vectors", f8);
  expect_error(tmp / "f8", "vectors", "'<f8'");
  fs::create_directories(tmp / "short");
  tmp.file("short/vectors", npy.substr(0, npy.size() - 4));
  expect_error(tmp / "short", "vectors", "more data than the file holds");
  fs::create_directories(tmp / "magic");
  tmp.file("magic/vectors", "hello world, not numpy");
  expect_error(tmp / "magic", "vectors", "magic");
  fs::create_directories(tmp / "rows");
  tmp.file("rows/vectors", npy);
  tmp.file("rows/key2row", std::string("\x81\x05\x07", 3));  // key 5 -> row 7 of 3
  expect_error(tmp / "rows", "key2row", "outside the table");
  fs::create_directories(tmp / "cut");
  tmp.file("cut/vectors", npy);
  tmp.file("cut/key2row", std::string("\x82\x05", 2));
  expect_error(tmp / "cut", "key2row", "truncated");
  fs::create_directories(tmp / "floret");
  tmp.file("floret/vectors", npy);
  tmp.file("floret/vectors.cfg", "{\"mode\": \"floret\"}");
  expect_error(tmp / "floret", "vectors.cfg", "floret");
}

TEST(Vectors, PipelineFolderKeepsTheVectorsAndTheirName) {
  TempDir tmp;
  auto nlp = Language::load("blank:en");
  auto v = animals();
  v->set_name("en_test.vectors");
  nlp->vocab().set_vectors(v);
  EXPECT_EQ(nlp->meta()["vectors"]["width"], 3);
  EXPECT_EQ(nlp->meta()["vectors"]["keys"], 3);
  nlp->to_disk(tmp / "p");
  EXPECT_TRUE(fs::exists(tmp / "p/vocab/vectors"));
  EXPECT_TRUE(fs::exists(tmp / "p/vocab/key2row"));
  auto loaded = Language::load(tmp / "p");
  const Vectors& table = loaded->vocab().vectors();
  EXPECT_TRUE(table.is_mapped());
  EXPECT_EQ(table.name(), "en_test.vectors");
  Doc a = (*loaded)("cat dog");
  Doc b = (*nlp)("cat dog");
  EXPECT_EQ(a[1].vector(), b[1].vector());
  EXPECT_EQ(a.vector(), b.vector());
  // A pipeline without vectors writes none.
  auto blank = Language::load("blank:en");
  blank->to_disk(tmp / "blank");
  EXPECT_FALSE(fs::exists(tmp / "blank/vocab/vectors"));
}

TEST(Vectors, InitializeVectorsSettingLoadsAPipelinesTable) {
  TempDir tmp;
  auto source = Language::load("blank:en");
  source->vocab().set_vectors(animals());
  source->to_disk(tmp / "vectors_pipeline");
  auto with_vectors = [](const std::string& path) {
    Json cfg = Language::load("blank:en")->config();
    cfg["initialize"] = Json{{"vectors", path}};
    return Language::from_config(cfg);
  };
  auto nlp = with_vectors(tmp / "vectors_pipeline");
  EXPECT_TRUE(nlp->vocab().vectors().empty());
  nlp->initialize([] { return std::vector<Example>{}; });
  EXPECT_EQ(nlp->vocab().vectors().rows(), 3);
  EXPECT_TRUE(nlp->vocab().strings().contains(string_id("cat")) ||
              nlp->vocab().vectors().contains(string_id("cat")));
  try {
    auto bad = with_vectors(tmp / "nothing");
    bad->initialize([] { return std::vector<Example>{}; });
    ADD_FAILURE() << "no error for a folder without vectors";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), (std::vector<std::string>{"initialize", "vectors"}));
    EXPECT_NE(std::string(e.what()).find("E884"), std::string::npos) << e.what();
  }
}

TEST(Vectors, DeduplicateMergesIdenticalRowsAsNumpyUnique) {
  auto v = std::make_shared<Vectors>(std::vector<float>{3, 1, 1, 2, 3, 1, 0, 5}, 4, 2);
  v->add(string_id("a"), 0);
  v->add(string_id("b"), 1);
  v->add(string_id("c"), 2);
  v->add(string_id("d"), 3);
  v->deduplicate();
  ASSERT_EQ(v->rows(), 3);  // (0, 5), (1, 2), (3, 1): sorted as numpy.unique(axis=0)
  EXPECT_EQ(v->get(string_id("a")), (std::vector<float>{3, 1}));
  EXPECT_EQ(v->find(string_id("a")), v->find(string_id("c")));
  EXPECT_EQ(v->find(string_id("d")), 0);
  EXPECT_EQ(v->find(string_id("b")), 1);
  auto unique = animals();
  unique->deduplicate();
  EXPECT_EQ(unique->find(string_id("car")), 2);  // nothing repeated: order kept
}

TEST(Vectors, PruneKeepsTheFirstRowsAndMapsTheRestToTheNearest) {
  auto v = std::make_shared<Vectors>(
      std::vector<float>{1, 0, 0, 1, 0.9f, 0.1f, -0.2f, 1}, 4, 2);
  v->add(string_id("east"), 0);
  v->add(string_id("north"), 1);
  v->add(string_id("east-ish"), 2);
  v->add(string_id("north-ish"), 3);
  auto remap = v->prune(2);
  EXPECT_EQ(v->rows(), 2);
  EXPECT_EQ(v->n_keys(), 4u);
  EXPECT_EQ(v->find(string_id("east-ish")), 0);
  EXPECT_EQ(v->find(string_id("north-ish")), 1);
  ASSERT_EQ(remap.size(), 2u);
  EXPECT_EQ(remap[string_id("east-ish")].first, string_id("east"));
  const double expected = 0.9 / std::sqrt(0.81 + 0.01);
  EXPECT_NEAR(remap[string_id("east-ish")].second, std::round(expected * 1e4) / 1e4, 1e-6);
  EXPECT_THROW(v->prune(0), ValueError);
}
