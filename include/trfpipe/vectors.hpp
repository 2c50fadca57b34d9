// spaCy's Vectors (mode "default"): a table of static word vectors, rows x cols float32, and
// key2row mapping word hashes (StringStore IDs of the ORTH) to rows; several keys may share a
// row. Vocab::vectors() holds the pipeline's table.
//
// On disk (spaCy's Vectors.to_disk, inside a pipeline's vocab/ folder):
//   vectors      the table as a numpy .npy file ('<f4', C order)
//   key2row      msgpack map {key: row}
//   vectors.cfg  JSON {"mode": "default"}
// from_disk maps the .npy data read-only (mmap, no copy): loading a pipeline with a large table
// costs no memory until rows are read, and processes share the pages.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "trfpipe/strings.hpp"

namespace trfpipe {

class Vectors {
 public:
  Vectors() = default;  // shape (0, 0)
  // An owned table: data has rows * cols values, row-major; no keys yet.
  Vectors(std::vector<float> data, int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }  // len(vectors)
  int64_t cols() const { return cols_; }  // vectors_length
  size_t size() const { return size_t(rows_) * size_t(cols_); }  // spaCy's .size
  bool empty() const { return size() == 0; }
  size_t n_keys() const { return key2row_.size(); }
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }
  std::string mode() const { return "default"; }
  // Whether the table is a read-only mapping of a .npy file.
  bool is_mapped() const { return mapped_; }

  const float* data() const { return data_; }
  const float* row(int64_t r) const { return data_ + r * cols_; }
  // The row of `key`, -1 when it has none (spaCy's find(key=...)).
  int64_t find(hash_t key) const;
  bool contains(hash_t key) const { return find(key) >= 0; }
  // spaCy's vocab.get_vector: the key's vector, zeros (cols()) when it has none.
  std::vector<float> get(hash_t key) const;
  // Maps `key` to an existing row (ValueError E197 for a row outside the table).
  void add(hash_t key, int64_t row);
  const std::unordered_map<hash_t, int64_t>& key2row() const { return key2row_; }

  // Writes vectors, key2row and vectors.cfg into `dir` (created if missing).
  void to_disk(const std::string& dir) const;
  // Reads a folder written by to_disk (or by spaCy); the table is memory-mapped. A DataError
  // names the file for anything malformed (bad .npy header, dtype other than float32, truncated
  // data, a key2row row outside the table, a mode other than "default").
  static std::shared_ptr<Vectors> from_disk(const std::string& dir);
  // Whether `dir` holds a vectors table (its `vectors` file).
  static bool exists_in(const std::string& dir);

  // spaCy's vocab.deduplicate_vectors: identical rows become one (the remaining rows sorted as
  // numpy.unique sorts them) when any row is repeated or unused; otherwise nothing changes.
  void deduplicate();
  // spaCy's vocab.prune_vectors(n_rows): keeps the first n_rows rows (by row, then key) and maps
  // every other key to the most similar kept row by cosine. Returns, for each remapped key, the
  // key of the kept row it now shares and the similarity.
  std::map<hash_t, std::pair<hash_t, float>> prune(int64_t n_rows);

 private:
  std::shared_ptr<const void> storage_;  // owns data_: a std::vector<float> or a mapping
  const float* data_ = nullptr;
  int64_t rows_ = 0, cols_ = 0;
  bool mapped_ = false;
  std::unordered_map<hash_t, int64_t> key2row_;
  std::string name_;
};

// The numpy .npy format for float32 matrices (what Vectors stores): the bytes of a version-1.0
// file holding `rows` x `cols` values ('<f4', C order).
std::string npy_float32_bytes(const float* data, int64_t rows, int64_t cols);

}  // namespace trfpipe
