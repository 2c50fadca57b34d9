// word2vec / GloVe text vectors (trfpipe/vectors_text.hpp), read line by line through zlib's gz
// reader, which passes uncompressed files through unchanged.
#include "trfpipe/vectors_text.hpp"

#include <zlib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

#include "tokenization/rule_tokenizer.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

class GzLines {
 public:
  explicit GzLines(const std::string& path) : path_(path) {
    file_ = gzopen(path.c_str(), "rb");
    if (!file_)
      throw DataError(path, -1, std::string("cannot open the vectors file: ") +
                                    (errno ? std::strerror(errno) : "out of memory"));
    gzbuffer(file_, 1 << 17);
  }
  ~GzLines() { gzclose(file_); }
  GzLines(const GzLines&) = delete;
  GzLines& operator=(const GzLines&) = delete;

  // The next line without its line end; false at the end of the file.
  bool next(std::string& line) {
    line.clear();
    char buf[1 << 14];
    while (true) {
      if (!gzgets(file_, buf, sizeof buf)) {
        int err = 0;
        const char* msg = gzerror(file_, &err);
        if (err != Z_OK && err != Z_STREAM_END)
          throw DataError(path_, number_ + 1, std::string("cannot read the vectors file: ") + msg);
        if (line.empty()) return false;
        break;
      }
      line += buf;
      if (!line.empty() && line.back() == '\n') break;
    }
    ++number_;
    while (!line.empty() && is_space(line.back())) line.pop_back();  // Python's rstrip()
    return true;
  }
  int64_t number() const { return number_; }

 private:
  std::string path_;
  gzFile file_ = nullptr;
  int64_t number_ = 0;
};

struct Field {
  size_t start, end;
};
std::vector<Field> split_fields(const std::string& line) {
  std::vector<Field> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    if (i == line.size()) break;
    size_t j = i;
    while (j < line.size() && !is_space(line[j])) ++j;
    out.push_back({i, j});
    i = j;
  }
  return out;
}

// Python's float(): from_chars plus an optional leading '+'.
bool parse_float(const char* b, const char* e, float& out) {
  if (b < e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}
bool parse_int(const char* b, const char* e, long long& out) {
  auto [p, ec] = std::from_chars(b, e, out);
  return ec == std::errc() && p == e;
}

}  // namespace

std::shared_ptr<Vectors> read_vectors_text(const std::string& path, StringStore& strings,
                                           int64_t truncate) {
  GzLines lines(path);
  std::string line;
  if (!lines.next(line)) throw DataError(path, -1, "the vectors file is empty");
  // spaCy's ensure_shape: a first line starting with two integers is the "rows cols" header.
  int64_t cols = 0, declared_rows = -1;
  bool header = false;
  {
    const std::vector<Field> f = split_fields(line);
    long long r = 0, c = 0;
    if (f.size() >= 2 && parse_int(line.data() + f[0].start, line.data() + f[0].end, r) &&
        parse_int(line.data() + f[1].start, line.data() + f[1].end, c)) {
      if (r < 0 || c < 1)
        throw DataError(path, 1, "the header \"" + line + "\" needs rows >= 0 and columns >= 1");
      header = true;
      declared_rows = r;
      cols = c;
    } else {
      if (f.size() < 2)
        throw DataError(path, 1, "expected a word and its values (or a \"rows columns\" header)");
      cols = int64_t(f.size()) - 1;
    }
  }
  std::vector<float> data;
  std::vector<std::string> words;
  auto read_row = [&]() {
    const int64_t ln = lines.number();
    if (line.empty())
      throw DataError(path, ln, "empty line (expected a word and " + std::to_string(cols) +
                                    " values)");
    const std::vector<Field> f = split_fields(line);
    const int64_t n_values = int64_t(f.size()) - 1;
    auto ragged = [&](const std::string& count) {
      return DataError(path, ln, "the row has " + count + " values, but the vectors have " +
                                     std::to_string(cols) +
                                     (header ? " (the header's width)" : " (the first row's)"));
    };
    if (n_values < cols) throw ragged(std::to_string(std::max<int64_t>(n_values, 0)));
    const size_t first_value = f.size() - size_t(cols);
    // Words may contain spaces (spaCy splits the values off from the right), but a number just
    // before the values is an extra value, not part of a word.
    if (first_value > 1) {
      float ignored;
      const Field& before = f[first_value - 1];
      if (parse_float(line.data() + before.start, line.data() + before.end, ignored))
        throw ragged("more than " + std::to_string(cols));
    }
    std::string word = line.substr(f[0].start, f[first_value - 1].end - f[0].start);
    try {
      tokenization::validate_utf8(word);
    } catch (const ValueError& e) {
      throw DataError(path, ln, std::string("the word is not valid UTF-8: ") + e.what());
    }
    for (size_t k = first_value; k < f.size(); ++k) {
      float v = 0;
      if (!parse_float(line.data() + f[k].start, line.data() + f[k].end, v))
        throw DataError(path, ln, "'" + line.substr(f[k].start, f[k].end - f[k].start) +
                                      "' is not a number (value " +
                                      std::to_string(k - first_value + 1) + " of '" + word + "')");
      data.push_back(v);
    }
    words.push_back(std::move(word));
  };
  if (!header) read_row();
  while ((truncate < 1 || int64_t(words.size()) < truncate) && lines.next(line)) {
    if (declared_rows >= 0 && int64_t(words.size()) == declared_rows)
      throw DataError(path, lines.number(),
                      "more vectors than the header's " + std::to_string(declared_rows));
    read_row();
  }
  if (words.empty()) throw DataError(path, lines.number(), "the file has no vectors");
  const int64_t rows = int64_t(words.size());
  auto table = std::make_shared<Vectors>(std::move(data), rows, cols);
  for (int64_t i = 0; i < rows; ++i) table->add(strings.add(words[size_t(i)]), i);
  table->deduplicate();
  return table;
}

}  // namespace trfpipe
