#include "formats/data_util.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "tokenization/rule_tokenizer.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::formats {

void write_file_bytes(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp";
  try {
    trfpipe::write_file_bytes(tmp, data);
  } catch (const Error& e) {
    std::remove(tmp.c_str());
    throw DataError(path, -1, e.what());
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw DataError(path, -1, "cannot move the written file into place");
  }
}

std::string zlib_compress(std::string_view data) {
  uLongf bound = compressBound(uLong(data.size()));
  std::string out(bound, '\0');
  int rc = compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                     reinterpret_cast<const Bytef*>(data.data()), uLong(data.size()),
                     Z_DEFAULT_COMPRESSION);
  if (rc != Z_OK) throw std::runtime_error("zlib compression failed (" + std::to_string(rc) + ")");
  out.resize(bound);
  return out;
}

std::string zlib_decompress(std::string_view data, size_t max_size) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) throw std::runtime_error("zlib inflateInit failed");
  if (data.size() > std::numeric_limits<uInt>::max()) {
    inflateEnd(&zs);
    throw std::runtime_error("compressed data larger than 4 GiB");
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = uInt(data.size());
  std::string out;
  char buf[1 << 16];
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_OK || rc == Z_STREAM_END) {
      const size_t n = sizeof(buf) - zs.avail_out;
      if (n > max_size - out.size()) {
        inflateEnd(&zs);
        throw std::runtime_error("inflates to more than " + std::to_string(max_size) + " bytes");
      }
      out.append(buf, n);
    } else if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw std::runtime_error("truncated zlib stream");
    }
  }
  std::string msg = zs.msg ? zs.msg : "";
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    throw std::runtime_error("not a zlib stream (" + (msg.empty() ? "error " + std::to_string(rc) : msg) + ")");
  }
  return out;
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  return lines;
}

std::vector<std::string_view> split_utf8_lines(std::string_view text, const std::string& source) {
  std::vector<std::string_view> lines = split_lines(text);
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    try {
      tokenization::validate_utf8(lines[ln]);
    } catch (const ValueError& e) {
      throw DataError(source, int64_t(ln) + 1, std::string("the file is not valid UTF-8: ") + e.what());
    }
  }
  return lines;
}

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_ws(s[i])) ++i;
    size_t j = i;
    while (j < s.size() && !is_ws(s[j])) ++j;
    if (j > i) out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

bool is_blank(std::string_view s) { return trim(s).empty(); }

bool is_entity_tag(std::string_view tag) {
  if (tag == "O") return true;
  if (tag.size() < 3 || tag[1] != '-') return false;
  switch (tag[0]) {
    case 'B': case 'I': case 'L': case 'U': case 'E': case 'S': return true;
    default: return false;
  }
}

std::string string_or_empty(const Vocab& vocab, hash_t id) {
  if (id == 0) return "";
  if (!vocab.strings().contains(id)) return "";
  return vocab.strings()[id];
}

}  // namespace trfpipe::formats
