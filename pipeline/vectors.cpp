// spaCy's Vectors (default mode): the table, key2row, the .npy/msgpack folder layout with the
// table memory-mapped on load, and Vocab's deduplicate_vectors / prune_vectors.
#include "trfpipe/vectors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>

#include "pipeline/file_io.hpp"
#include "trfpipe/error.hpp"

namespace fs = std::filesystem;

namespace trfpipe {

namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";

// ---- key2row: a msgpack map of unsigned integers, as srsly.write_msgpack writes a dict of ints.
// A dedicated reader (not formats/msgpack_lite: the pipeline area sits below formats) that walks
// the map without building a tree, so tables with millions of keys load in constant extra memory.
void put_be(std::string& out, uint64_t v, int nbytes) {
  for (int i = nbytes - 1; i >= 0; --i) out.push_back(char((v >> (8 * i)) & 0xff));
}
void put_uint(std::string& out, uint64_t v) {  // the smallest encoding, as msgpack-python
  if (v < 0x80) out.push_back(char(v));
  else if (v <= 0xff) { out.push_back(char(0xcc)); put_be(out, v, 1); }
  else if (v <= 0xffff) { out.push_back(char(0xcd)); put_be(out, v, 2); }
  else if (v <= 0xffffffffull) { out.push_back(char(0xce)); put_be(out, v, 4); }
  else { out.push_back(char(0xcf)); put_be(out, v, 8); }
}

struct MsgpackCursor {
  const std::string& bytes;
  const std::string& file;
  size_t pos = 0;
  [[noreturn]] void fail(const std::string& what) const {
    throw DataError(file, -1, what + " at byte " + std::to_string(pos) +
                                  " (expected a msgpack map of integer keys to rows)");
  }
  uint64_t be(int n) {
    if (bytes.size() - pos < size_t(n)) fail("truncated data");
    uint64_t v = 0;
    for (int i = 0; i < n; ++i) v = (v << 8) | uint8_t(bytes[pos++]);
    return v;
  }
  uint64_t map_size() {
    const uint8_t t = uint8_t(be(1));
    if ((t & 0xf0) == 0x80) return t & 0x0f;
    if (t == 0xde) return be(2);
    if (t == 0xdf) return be(4);
    --pos;
    fail("not a map");
  }
  // An integer; negative values (never written by spaCy) are refused.
  uint64_t uint() {
    const uint8_t t = uint8_t(be(1));
    if (t < 0x80) return t;
    switch (t) {
      case 0xcc: return be(1);
      case 0xcd: return be(2);
      case 0xce: return be(4);
      case 0xcf: return be(8);
      case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        const int n = 1 << (t - 0xd0);
        const uint64_t raw = be(n);
        const uint64_t sign = uint64_t(1) << (8 * n - 1);
        if (raw & sign) { pos -= size_t(n) + 1; fail("a negative integer"); }
        return raw;
      }
      default: --pos; fail("not an integer");
    }
  }
};

// ---- .npy
struct NpyHeader {
  size_t data_offset = 0;
  int64_t rows = 0, cols = 0;
};

std::string dict_value(const std::string& header, const std::string& key) {
  const size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) return {};
  size_t v = header.find(':', k);
  if (v == std::string::npos) return {};
  ++v;
  while (v < header.size() && header[v] == ' ') ++v;
  size_t end = v;
  if (v < header.size() && header[v] == '(') {
    end = header.find(')', v);
    return end == std::string::npos ? std::string() : header.substr(v, end - v + 1);
  }
  while (end < header.size() && header[end] != ',' && header[end] != '}') ++end;
  std::string out = header.substr(v, end - v);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

NpyHeader parse_npy_header(const char* data, size_t size, const std::string& file) {
  auto bad = [&](const std::string& what) -> DataError {
    return DataError(file, -1, "not a float32 matrix in numpy .npy format: " + what);
  };
  if (size < 10 || std::memcmp(data, kNpyMagic, 6) != 0) throw bad("no \\x93NUMPY magic");
  const int major = uint8_t(data[6]);
  size_t header_len = 0, start = 0;
  if (major == 1) {
    header_len = uint8_t(data[8]) | size_t(uint8_t(data[9])) << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) throw bad("truncated header");
    header_len = uint8_t(data[8]) | size_t(uint8_t(data[9])) << 8 |
                 size_t(uint8_t(data[10])) << 16 | size_t(uint8_t(data[11])) << 24;
    start = 12;
  } else {
    throw bad("unknown format version " + std::to_string(major));
  }
  if (header_len > size - start) throw bad("truncated header");
  const std::string header(data + start, header_len);
  const std::string descr = dict_value(header, "descr");
  if (descr != "'<f4'" && descr != "'|f4'" && descr != "'f4'")
    throw bad("dtype " + (descr.empty() ? std::string("missing") : descr) +
              " (vectors are float32, '<f4')");
  if (dict_value(header, "fortran_order") != "False") throw bad("Fortran order is not supported");
  const std::string shape = dict_value(header, "shape");
  NpyHeader h;
  h.data_offset = start + header_len;
  char* end = nullptr;
  if (shape.size() < 2) throw bad("no shape");
  const char* p = shape.c_str() + 1;
  const long long r = std::strtoll(p, &end, 10);
  if (end == p || *end != ',') throw bad("shape " + shape + " is not 2-dimensional");
  p = end + 1;
  const long long c = std::strtoll(p, &end, 10);
  while (*end == ' ' || *end == ',') ++end;
  if (end == p || *end != ')') throw bad("shape " + shape + " is not 2-dimensional");
  if (r < 0 || c < 0) throw bad("negative shape " + shape);
  h.rows = r;
  h.cols = c;
  const size_t available = (size - h.data_offset) / sizeof(float);
  if (c != 0 && size_t(r) > available / size_t(c))
    throw bad("shape " + shape + " needs more data than the file holds");
  return h;
}

// A read-only mapping of a whole file, unmapped when the last owner goes.
std::shared_ptr<const void> map_file(const std::string& path, size_t& size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw DataError(path, -1, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw DataError(path, -1, "not a regular file");
  }
  size = size_t(st.st_size);
  if (size == 0) {
    ::close(fd);
    throw DataError(path, -1, "the file is empty (expected a numpy .npy matrix)");
  }
  void* addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (addr == MAP_FAILED)
    throw DataError(path, -1, std::string("cannot map the file: ") + std::strerror(errno));
  const size_t length = size;
  return std::shared_ptr<const void>(addr, [length](const void* a) {
    ::munmap(const_cast<void*>(a), length);
  });
}

double row_norm(const float* v, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += double(v[i]) * double(v[i]);
  return std::sqrt(s);
}

}  // namespace

Vectors::Vectors(std::vector<float> data, int64_t rows, int64_t cols) : rows_(rows), cols_(cols) {
  if (rows < 0 || cols < 0 || data.size() != size_t(rows) * size_t(cols))
    throw ValueError("Vectors: the data has " + std::to_string(data.size()) +
                     " values, not rows x cols = " + std::to_string(rows) + " x " +
                     std::to_string(cols));
  auto owned = std::make_shared<std::vector<float>>(std::move(data));
  data_ = owned->data();
  storage_ = owned;
}

int64_t Vectors::find(hash_t key) const {
  auto it = key2row_.find(key);
  return it == key2row_.end() ? -1 : it->second;
}

std::vector<float> Vectors::get(hash_t key) const {
  const int64_t r = find(key);
  if (r < 0) return std::vector<float>(size_t(cols_), 0.f);
  return std::vector<float>(row(r), row(r) + cols_);
}

void Vectors::add(hash_t key, int64_t r) {
  if (r < 0 || r >= rows_)
    throw ValueError("[E197] Row " + std::to_string(r) + " for key " + std::to_string(key) +
                     " is outside the vectors table of " + std::to_string(rows_) + " rows");
  key2row_[key] = r;
}

std::string npy_float32_bytes(const float* data, int64_t rows, int64_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  // numpy pads the header with spaces to a multiple of 64 bytes, ending in '\n'.
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict.push_back('\n');
  std::string out(kNpyMagic, 6);
  out.push_back(char(1));
  out.push_back(char(0));
  out.push_back(char(dict.size() & 0xff));
  out.push_back(char((dict.size() >> 8) & 0xff));
  out += dict;
  static_assert(sizeof(float) == 4, "float32");
  out.append(reinterpret_cast<const char*>(data), size_t(rows) * size_t(cols) * sizeof(float));
  return out;
}

void Vectors::to_disk(const std::string& dir_in) const {
  const fs::path dir(dir_in);
  fs::create_directories(dir);
  write_file_bytes((dir / "vectors").string(), npy_float32_bytes(data_, rows_, cols_));
  // Written by row, then key, so the same table always gives the same bytes.
  std::vector<std::pair<int64_t, hash_t>> entries;
  entries.reserve(key2row_.size());
  for (const auto& [k, r] : key2row_) entries.emplace_back(r, k);
  std::sort(entries.begin(), entries.end());
  std::string msg;
  if (entries.size() < 16) msg.push_back(char(0x80 | entries.size()));
  else if (entries.size() <= 0xffff) { msg.push_back(char(0xde)); put_be(msg, entries.size(), 2); }
  else { msg.push_back(char(0xdf)); put_be(msg, entries.size(), 4); }
  for (const auto& [r, k] : entries) {
    put_uint(msg, k);
    put_uint(msg, uint64_t(r));
  }
  write_file_bytes((dir / "key2row").string(), msg);
  write_file_bytes((dir / "vectors.cfg").string(), "{\n  \"mode\":\"default\"\n}");
}

bool Vectors::exists_in(const std::string& dir) {
  return fs::is_regular_file(fs::path(dir) / "vectors");
}

std::shared_ptr<Vectors> Vectors::from_disk(const std::string& dir_in) {
  const fs::path dir(dir_in);
  const std::string cfg_path = (dir / "vectors.cfg").string();
  if (fs::exists(cfg_path)) {
    nlohmann::ordered_json cfg = read_json_file(cfg_path);
    if (!cfg.is_object()) throw DataError(cfg_path, -1, "expected a JSON object");
    if (cfg.contains("mode") && cfg["mode"] != "default")
      throw DataError(cfg_path, -1,
                      "vectors mode " + cfg["mode"].dump() +
                          " is not supported (only \"default\"; floret vectors are not)");
  }
  auto v = std::make_shared<Vectors>();
  const std::string npy = (dir / "vectors").string();
  size_t size = 0;
  std::shared_ptr<const void> mapping = map_file(npy, size);
  const char* bytes = static_cast<const char*>(mapping.get());
  const NpyHeader h = parse_npy_header(bytes, size, npy);
  v->rows_ = h.rows;
  v->cols_ = h.cols;
  if (h.data_offset % alignof(float) == 0) {
    v->data_ = reinterpret_cast<const float*>(bytes + h.data_offset);
    v->storage_ = std::move(mapping);
    v->mapped_ = true;
  } else {  // an unaligned header (never written by numpy): copy instead of mapping
    auto owned = std::make_shared<std::vector<float>>(size_t(h.rows) * size_t(h.cols));
    std::memcpy(owned->data(), bytes + h.data_offset, owned->size() * sizeof(float));
    v->data_ = owned->data();
    v->storage_ = owned;
  }
  const std::string key2row_path = (dir / "key2row").string();
  if (fs::exists(key2row_path)) {
    const std::string msg = read_file_bytes(key2row_path);
    MsgpackCursor cur{msg, key2row_path};
    const uint64_t n = cur.map_size();
    if (n > msg.size()) cur.fail("a map of " + std::to_string(n) + " entries in a short file");
    v->key2row_.reserve(size_t(n));
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t key = cur.uint();
      const uint64_t r = cur.uint();
      if (r >= uint64_t(v->rows_))
        throw DataError(key2row_path, -1,
                        "key " + std::to_string(key) + " maps to row " + std::to_string(r) +
                            " outside the table of " + std::to_string(v->rows_) + " rows");
      v->key2row_[key] = int64_t(r);
    }
    if (cur.pos != msg.size()) cur.fail("trailing bytes");
  }
  return v;
}

void Vectors::deduplicate() {
  std::vector<int64_t> filled;
  filled.reserve(key2row_.size());
  for (const auto& [k, r] : key2row_) filled.push_back(r);
  std::sort(filled.begin(), filled.end());
  filled.erase(std::unique(filled.begin(), filled.end()), filled.end());
  const size_t width = size_t(cols_);
  auto less = [&](int64_t a, int64_t b) {  // numpy.unique(axis=0): lexicographic by value
    const float *x = row(a), *y = row(b);
    for (size_t i = 0; i < width; ++i)
      if (x[i] != y[i]) return x[i] < y[i];
    return false;
  };
  auto same = [&](int64_t a, int64_t b) {
    return std::memcmp(row(a), row(b), width * sizeof(float)) == 0;
  };
  std::vector<int64_t> order = filled;
  std::stable_sort(order.begin(), order.end(), less);
  std::vector<int64_t> unique_rows;
  for (int64_t r : order)
    if (unique_rows.empty() || !same(unique_rows.back(), r)) unique_rows.push_back(r);
  if (int64_t(unique_rows.size()) == rows_) return;  // nothing repeated, nothing unused
  std::vector<float> data(unique_rows.size() * width);
  std::unordered_map<int64_t, int64_t> new_row;  // old row -> new row
  for (size_t i = 0; i < unique_rows.size(); ++i)
    std::memcpy(data.data() + i * width, row(unique_rows[i]), width * sizeof(float));
  size_t u = 0;
  for (int64_t r : order) {
    if (!same(unique_rows[u], r)) ++u;
    new_row[r] = int64_t(u);
  }
  Vectors replaced(std::move(data), int64_t(unique_rows.size()), cols_);
  for (const auto& [k, r] : key2row_) replaced.key2row_[k] = new_row.at(r);
  replaced.name_ = name_;
  *this = std::move(replaced);
}

std::map<hash_t, std::pair<hash_t, float>> Vectors::prune(int64_t n_rows) {
  if (n_rows < 1) throw ValueError("prune: the number of rows to keep must be positive");
  // spaCy ranks the keys by (-lexeme.prob, row, key); every prob is the default, so row, key.
  std::vector<std::pair<int64_t, hash_t>> priority;
  priority.reserve(key2row_.size());
  for (const auto& [k, r] : key2row_) priority.emplace_back(r, k);
  std::sort(priority.begin(), priority.end());
  const size_t keep_n = std::min(priority.size(), size_t(n_rows));
  const size_t width = size_t(cols_);
  std::vector<float> keep(keep_n * width);
  for (size_t i = 0; i < keep_n; ++i)
    std::memcpy(keep.data() + i * width, row(priority[i].first), width * sizeof(float));
  // Unit-length kept rows (a zero row stays zero), so the similarity is a dot product.
  std::vector<float> unit = keep;
  for (size_t i = 0; i < keep_n; ++i) {
    double n = row_norm(unit.data() + i * width, cols_);
    if (n == 0) n = 1;
    for (size_t c = 0; c < width; ++c) unit[i * width + c] = float(unit[i * width + c] / n);
  }
  std::map<hash_t, std::pair<hash_t, float>> remap;
  std::unordered_map<hash_t, int64_t> new_key2row;
  for (size_t i = 0; i < keep_n; ++i) new_key2row[priority[i].second] = int64_t(i);
  std::vector<float> query(width);
  for (size_t t = keep_n; t < priority.size(); ++t) {
    std::memcpy(query.data(), row(priority[t].first), width * sizeof(float));
    double n = row_norm(query.data(), cols_);
    if (n == 0) n = 1;
    for (float& x : query) x = float(x / n);
    size_t best = 0;
    float best_score = -INFINITY;
    for (size_t i = 0; i < keep_n; ++i) {
      const float* u = unit.data() + i * width;
      float s = 0;
      for (size_t c = 0; c < width; ++c) s += query[c] * u[c];
      if (s > best_score) {
        best_score = s;
        best = i;
      }
    }
    // spaCy rounds the scores to 4 decimals and clips them to [-1, 1].
    float score = float(std::round(double(best_score) * 1e4) / 1e4);
    score = std::clamp(score, -1.f, 1.f);
    new_key2row[priority[t].second] = int64_t(best);
    remap[priority[t].second] = {priority[best].second, score};
  }
  Vectors pruned(std::move(keep), int64_t(keep_n), cols_);
  pruned.key2row_ = std::move(new_key2row);
  pruned.name_ = name_;
  *this = std::move(pruned);
  return remap;
}

}  // namespace trfpipe
