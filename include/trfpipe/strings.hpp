// String hashing and the StringStore, bit-compatible with spaCy: a string's ID is
// MurmurHash64A(utf8, seed 1), except spaCy's reserved symbols ("LOC", "NOUN", ...), whose ID is
// their small symbol number (spaCy's symbols.pxd), and "" which is 0.
#pragma once
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace trfpipe {

using hash_t = uint64_t;

uint64_t murmurhash64a(const void* key, size_t len, uint64_t seed);
// spaCy's string ID (symbol ID for reserved symbols, 0 for "").
hash_t string_id(std::string_view s);
// The symbol ID of a reserved spaCy symbol, or 0 when `s` is not one.
hash_t symbol_id(std::string_view s);

class StringStore {
 public:
  StringStore();
  hash_t add(std::string_view s);                   // returns string_id(s)
  bool contains(std::string_view s) const;
  bool contains(hash_t id) const;                    // symbols and 0 always contained
  const std::string& operator[](hash_t id) const;    // ValueError for an unknown ID
  hash_t operator[](std::string_view s) const { return string_id(s); }
  size_t size() const;                              // added strings (not symbols)
  std::vector<std::string> sorted() const;           // vocab/strings.json content
  // Thread-safe: a reader/writer lock guards the table; returned references stay valid (the
  // table never removes strings).
 private:
  std::unordered_map<hash_t, std::string> strings_;
  mutable std::shared_mutex mutex_;
};

}  // namespace trfpipe
