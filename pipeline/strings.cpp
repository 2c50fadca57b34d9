// MurmurHash64A string IDs and the StringStore (spaCy's spacy/strings.pyx semantics).
#include "trfpipe/strings.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "pipeline/symbols.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

// Austin Appleby's MurmurHash64A, as spaCy's murmurhash package (hash64); little-endian reads.
uint64_t murmurhash64a(const void* key, size_t len, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = seed ^ (uint64_t(len) * m);
  const unsigned char* p = static_cast<const unsigned char*>(key);
  const size_t blocks = len / 8;
  for (size_t b = 0; b < blocks; ++b) {
    uint64_t k;
    std::memcpy(&k, p + b * 8, 8);
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const unsigned char* tail = p + blocks * 8;
  switch (len & 7) {
    case 7: h ^= uint64_t(tail[6]) << 48; [[fallthrough]];
    case 6: h ^= uint64_t(tail[5]) << 40; [[fallthrough]];
    case 5: h ^= uint64_t(tail[4]) << 32; [[fallthrough]];
    case 4: h ^= uint64_t(tail[3]) << 24; [[fallthrough]];
    case 3: h ^= uint64_t(tail[2]) << 16; [[fallthrough]];
    case 2: h ^= uint64_t(tail[1]) << 8; [[fallthrough]];
    case 1:
      h ^= uint64_t(tail[0]);
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

namespace {

struct SymbolMaps {
  std::unordered_map<std::string_view, hash_t> by_str;
  std::unordered_map<hash_t, std::string> by_id;
};

const SymbolMaps& symbols() {
  static const SymbolMaps maps = [] {
    SymbolMaps m;
    for (const auto& [name, id] : pipeline::symbol_table()) {
      m.by_str.emplace(std::string_view(name), id);
      m.by_id.emplace(id, std::string(name));
    }
    return m;
  }();
  return maps;
}

}  // namespace

hash_t symbol_id(std::string_view s) {
  const auto& m = symbols().by_str;
  auto it = m.find(s);
  return it == m.end() ? 0 : it->second;
}

hash_t string_id(std::string_view s) {
  if (s.empty()) return 0;
  const auto& m = symbols().by_str;
  auto it = m.find(s);
  if (it != m.end()) return it->second;
  return murmurhash64a(s.data(), s.size(), 1);
}

StringStore::StringStore() = default;

hash_t StringStore::add(std::string_view s) {
  hash_t id = string_id(s);
  if (s.empty() || symbols().by_str.count(s)) return id;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    if (strings_.count(id)) return id;
  }
  std::unique_lock<std::shared_mutex> lock(mutex_);
  strings_.emplace(id, std::string(s));
  return id;
}

bool StringStore::contains(std::string_view s) const {
  if (s.empty() || symbols().by_str.count(s)) return true;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return strings_.count(string_id(s)) > 0;
}

bool StringStore::contains(hash_t id) const {
  if (id == 0 || symbols().by_id.count(id)) return true;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return strings_.count(id) > 0;
}

const std::string& StringStore::operator[](hash_t id) const {
  static const std::string empty;
  if (id == 0) return empty;
  const auto& sym = symbols().by_id;
  auto s = sym.find(id);
  if (s != sym.end()) return s->second;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  auto it = strings_.find(id);
  if (it == strings_.end())
    throw ValueError("[E018] Can't retrieve string for hash '" + std::to_string(id) +
                     "'. This usually refers to an issue with the `Vocab` or `StringStore`.");
  return it->second;
}

size_t StringStore::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return strings_.size();
}

std::vector<std::string> StringStore::sorted() const {
  std::vector<std::string> out;
  {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    out.reserve(strings_.size());
    for (const auto& kv : strings_) out.push_back(kv.second);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace trfpipe
