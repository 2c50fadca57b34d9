// word2vec / GloVe text vectors (spaCy's `init vectors` reader): with and without the header line,
// gzipped, truncated, words with spaces, duplicates, and every bad-input error with file and line.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

#include "common/temp_dir.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/vectors_text.hpp"

using namespace trfpipe;
using trfpipe::testing::TempDir;

namespace {

const char* kGlove =
    "the 0.418 0.24968 -0.41242\n"
    ", 0.013441 0.23682 -0.16899\n"
    "cat -0.5 1e-3 +2\n";

DataError read_error(const std::string& path) {
  StringStore strings;
  try {
    read_vectors_text(path, strings);
  } catch (const DataError& e) {
    return e;
  }
  ADD_FAILURE() << "no DataError for " << path;
  return DataError(path, -2, "none");
}

}  // namespace

TEST(VectorsText, GloveWithoutHeaderKeysEachWordToItsRow) {
  TempDir tmp;
  StringStore strings;
  auto v = read_vectors_text(tmp.file("glove.txt", kGlove), strings);
  ASSERT_EQ(v->rows(), 3);
  ASSERT_EQ(v->cols(), 3);
  EXPECT_EQ(v->get(string_id("the")), (std::vector<float>{0.418f, 0.24968f, -0.41242f}));
  EXPECT_EQ(v->get(string_id("cat")), (std::vector<float>{-0.5f, 0.001f, 2.f}));
  EXPECT_EQ(v->find(string_id(",")), 1);
  EXPECT_EQ(strings[string_id("cat")], "cat");  // the words are in the StringStore
}

TEST(VectorsText, Word2VecHeaderGzipAndTruncate) {
  TempDir tmp;
  const std::string text = std::string("3 3\n") + kGlove;
  const std::string gz = tmp / "vectors.txt.gz";
  gzFile f = gzopen(gz.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, text.data(), unsigned(text.size())), int(text.size()));
  gzclose(f);
  StringStore strings;
  auto v = read_vectors_text(gz, strings);
  EXPECT_EQ(v->rows(), 3);
  EXPECT_EQ(v->get(string_id("the"))[0], 0.418f);
  auto two = read_vectors_text(gz, strings, 2);
  EXPECT_EQ(two->rows(), 2);
  EXPECT_FALSE(two->contains(string_id("cat")));
  // CRLF line ends and words with spaces (values are split off from the right, as spaCy does).
  auto crlf = read_vectors_text(tmp.file("crlf.txt", "paris 3 4\r\nnew york 1 2\r\n"), strings);
  EXPECT_EQ(crlf->get(string_id("new york")), (std::vector<float>{1, 2}));
}

TEST(VectorsText, DuplicateRowsAndWordsAreDeduplicated) {
  TempDir tmp;
  StringStore strings;
  auto v = read_vectors_text(tmp.file("dup.txt", "a 1 2\nb 1 2\nc 0 1\na 5 5\n"), strings);
  // "a" is last seen as (5, 5); rows (1, 2) shared by "b"; the unused first row is dropped.
  EXPECT_EQ(v->rows(), 3);
  EXPECT_EQ(v->get(string_id("a")), (std::vector<float>{5, 5}));
  EXPECT_EQ(v->get(string_id("b")), (std::vector<float>{1, 2}));
  EXPECT_EQ(v->get(string_id("c")), (std::vector<float>{0, 1}));
}

TEST(VectorsText, RaggedRowsNameTheFileAndLine) {
  TempDir tmp;
  const std::string fewer = tmp.file("fewer.txt", "a 1 2 3\nb 4 5 6\nc 7 8\n");
  DataError e = read_error(fewer);
  EXPECT_EQ(e.file(), fewer);
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("has 2 values"), std::string::npos) << e.what();
  const std::string more = tmp.file("more.txt", "2 2\na 1 2\nb 3 4 5\n");
  e = read_error(more);
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("more than 2"), std::string::npos) << e.what();
  const std::string header_rows = tmp.file("rows.txt", "1 2\na 1 2\nb 3 4\n");
  e = read_error(header_rows);
  EXPECT_EQ(e.line(), 3);
  EXPECT_NE(std::string(e.what()).find("header"), std::string::npos) << e.what();
}

TEST(VectorsText, NonNumbersEmptyLinesAndEmptyFilesAreErrors) {
  TempDir tmp;
  const std::string nan_file = tmp.file("word.txt", "a 1 2\nb 3 x4\n");
  DataError e = read_error(nan_file);
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("'x4' is not a number"), std::string::npos) << e.what();
  e = read_error(tmp.file("blank.txt", "a 1 2\n\nb 3 4\n"));
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("empty line"), std::string::npos) << e.what();
  const std::string empty = tmp.file("empty.txt", "");
  e = read_error(empty);
  EXPECT_EQ(e.file(), empty);
  EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos) << e.what();
  e = read_error(tmp.file("header_only.txt", "0 300\n"));
  EXPECT_NE(std::string(e.what()).find("no vectors"), std::string::npos) << e.what();
  e = read_error(tmp.file("lonely.txt", "word\n"));
  EXPECT_EQ(e.line(), 1);
  e = read_error(tmp.file("utf8.txt", "ok 1\n\xff\xfe 2\n"));
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("UTF-8"), std::string::npos) << e.what();
  e = read_error(tmp / "missing.txt");
  EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
}
