// spaCy's PhraseMatcher (spacy/matcher/phrasematcher.pyx): a trie over token attribute values
// (spaCy's FlashText-style map of maps). Here the trie is one hash table keyed by
// (node, value), so 100k phrases cost one table, not one map per node.
#include <algorithm>
#include <unordered_map>

#include "matcher/schema.hpp"
#include "trfpipe/attrs.hpp"
#include "trfpipe/matcher.hpp"

namespace trfpipe {

namespace {

// The trie's edges (node, value) -> child in one open-addressing table (linear probing, at most
// half full): one probe sequence in a flat array per token instead of std::unordered_map's node
// chasing. Edges are never erased (remove() only edits the terminals), so no tombstones.
class EdgeTable {
 public:
  static constexpr uint32_t kNone = 0;  // node 0 is the root, never a child

  uint32_t find(uint32_t node, uint64_t value) const {
    if (slots_.empty()) return kNone;
    for (size_t i = slot_of(node, value);; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.child == kNone) return kNone;
      if (s.node == node && s.value == value) return s.child;
    }
  }
  // The child of (node, value), made `child` when there is none yet; {child, added}.
  std::pair<uint32_t, bool> try_emplace(uint32_t node, uint64_t value, uint32_t child) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    for (size_t i = slot_of(node, value);; i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.child == kNone) {
        s = Slot{value, node, child};
        ++size_;
        return {child, true};
      }
      if (s.node == node && s.value == value) return {s.child, false};
    }
  }

 private:
  struct Slot {
    uint64_t value;
    uint32_t node, child;
  };
  size_t slot_of(uint32_t node, uint64_t value) const {
    // Values are string hashes or small numbers: mix both, keep the high bits.
    uint64_t h = (value ^ (uint64_t(node) * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull;
    return size_t(h >> 20) & mask_;
  }
  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{0, 0, kNone});
    mask_ = slots_.size() - 1;
    size_ = 0;
    for (const Slot& s : old)
      if (s.child != kNone) try_emplace(s.node, s.value, s.child);
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0, size_ = 0;
};

}  // namespace

struct PhraseMatcher::Impl {
  std::shared_ptr<Vocab> vocab;
  uint64_t attr = attrs::ORTH;
  bool validate = false;
  std::vector<std::pair<hash_t, std::string>> keys;  // rules in insertion order
  std::unordered_map<hash_t, OnMatch> callbacks;
  std::unordered_map<hash_t, std::vector<std::vector<uint64_t>>> phrases;  // per rule
  EdgeTable edges;                                                         // trie edges
  std::vector<std::vector<hash_t>> terminals;                              // rules ending at node
  uint32_t n_nodes = 1;                                                    // node 0 is the root

  void insert(hash_t key, const std::vector<uint64_t>& seq) {
    uint32_t node = 0;
    for (uint64_t v : seq) {
      auto [child, added] = edges.try_emplace(node, v, n_nodes);
      if (added) ++n_nodes;
      node = child;
    }
    if (terminals.size() < n_nodes) terminals.resize(n_nodes);
    std::vector<hash_t>& t = terminals[node];
    if (std::find(t.begin(), t.end(), key) == t.end()) t.push_back(key);
  }

  std::vector<Match> find(const Doc& doc, size_t start_idx, size_t end_idx) const {
    std::vector<Match> out;
    const auto& tokens = doc.tokens();
    auto value = [&](size_t i) { return token_attr(doc, tokens[i], doc.token(i).lex(), attr); };
    auto emit = [&](uint32_t node, size_t start, size_t end) {
      if (node < terminals.size())
        for (hash_t key : terminals[node]) out.push_back({key, start, end, {}});
    };
    // Each token's value is computed once, not once per phrase start that reaches it.
    std::vector<uint64_t> values(end_idx - start_idx);
    for (size_t i = start_idx; i < end_idx; ++i) values[i - start_idx] = value(i);
    for (size_t idx = start_idx; idx < end_idx; ++idx) {
      uint32_t node = edges.find(0, values[idx - start_idx]);
      if (node == EdgeTable::kNone) continue;
      size_t idy = idx + 1;
      bool at_end = true;
      while (idy < end_idx) {
        emit(node, idx, idy);
        const uint32_t next = edges.find(node, values[idy - start_idx]);
        if (next == EdgeTable::kNone) {
          at_end = false;
          break;
        }
        node = next;
        ++idy;
      }
      if (at_end) emit(node, idx, idy);
    }
    return out;
  }
};

PhraseMatcher::PhraseMatcher(std::shared_ptr<Vocab> vocab, const std::string& attr_in, bool validate)
    : impl_(std::make_unique<Impl>()) {
  if (!vocab) throw ValueError("PhraseMatcher needs a Vocab (got a null pointer)");
  impl_->vocab = std::move(vocab);
  impl_->validate = validate;
  std::string name = matcher::upper_ascii(attr_in.empty() ? "ORTH" : attr_in);
  if (name == "TEXT") name = "ORTH";
  if (name == "IS_SENT_START") name = "SENT_START";
  std::optional<uint64_t> id = attr_id(name);
  if (!matcher::is_token_pattern_field_name(matcher::lower_ascii(name)) || !id || name == "OP")
    throw ValueError("[E152] The attribute " + name +
                     " is not supported for token patterns. Please use the option "
                     "`validate=True` with the Matcher, PhraseMatcher, EntityRuler or "
                     "AttributeRuler for more details.");
  impl_->attr = *id;
}
PhraseMatcher::~PhraseMatcher() = default;
PhraseMatcher::PhraseMatcher(PhraseMatcher&&) noexcept = default;
PhraseMatcher& PhraseMatcher::operator=(PhraseMatcher&&) noexcept = default;

uint64_t PhraseMatcher::attr() const { return impl_->attr; }
Vocab& PhraseMatcher::vocab() const { return *impl_->vocab; }
size_t PhraseMatcher::size() const { return impl_->callbacks.size(); }
bool PhraseMatcher::contains(const std::string& key) const {
  return impl_->callbacks.count(string_id(key)) > 0;
}

void PhraseMatcher::add_sequences(const std::string& key,
                                  const std::vector<std::vector<uint64_t>>& seqs,
                                  OnMatch on_match) {
  const hash_t id = impl_->vocab->strings().add(key);
  if (!impl_->callbacks.count(id)) impl_->keys.emplace_back(id, key);
  impl_->callbacks[id] = std::move(on_match);
  auto& mine = impl_->phrases[id];
  for (const auto& seq : seqs) {
    if (seq.empty()) continue;
    mine.push_back(seq);  // kept for remove(); duplicates are harmless there
    impl_->insert(id, seq);
  }
}

void PhraseMatcher::add(const std::string& key, const std::vector<const Doc*>& docs,
                        OnMatch on_match) {
  std::vector<std::vector<uint64_t>> seqs;
  for (size_t d = 0; d < docs.size(); ++d) {
    const Doc* doc = docs[d];
    if (!doc) throw ValueError("PhraseMatcher rule '" + key + "': phrase " + std::to_string(d) + " is null");
    if (doc->size() == 0) continue;
    matcher::require_annotation(*doc, impl_->attr,
                                "PhraseMatcher rule '" + key + "', phrase " + std::to_string(d) + ": ");
    std::vector<uint64_t> seq;
    for (size_t i = 0; i < doc->size(); ++i) seq.push_back(token_attr(*doc, i, impl_->attr));
    seqs.push_back(std::move(seq));
  }
  add_sequences(key, seqs, std::move(on_match));
}

void PhraseMatcher::add(const std::string& key, const std::vector<Doc>& docs, OnMatch on_match) {
  std::vector<const Doc*> ptrs;
  for (const Doc& d : docs) ptrs.push_back(&d);
  add(key, ptrs, std::move(on_match));
}

void PhraseMatcher::remove(const std::string& key) {
  const hash_t id = string_id(key);
  auto it = impl_->phrases.find(id);
  if (!impl_->callbacks.count(id)) throw ValueError("PhraseMatcher has no rule '" + key + "' to remove");
  if (it != impl_->phrases.end()) {
    for (const auto& seq : it->second) {
      uint32_t node = 0;
      bool found = true;
      for (uint64_t v : seq) {
        const uint32_t child = impl_->edges.find(node, v);
        if (child == EdgeTable::kNone) {
          found = false;
          break;
        }
        node = child;
      }
      if (!found || node >= impl_->terminals.size()) continue;
      auto& t = impl_->terminals[node];
      t.erase(std::remove(t.begin(), t.end(), id), t.end());
    }
    impl_->phrases.erase(it);
  }
  impl_->callbacks.erase(id);
  auto& keys = impl_->keys;
  keys.erase(std::remove_if(keys.begin(), keys.end(), [&](const auto& kv) { return kv.first == id; }),
             keys.end());
}

namespace {

std::vector<Match> run_callbacks(PhraseMatcher& self, Doc& doc, std::vector<Match> matches,
                                 const std::unordered_map<hash_t, PhraseMatcher::OnMatch>& callbacks) {
  for (size_t i = 0; i < matches.size(); ++i) {
    auto it = callbacks.find(matches[i].id);
    if (it != callbacks.end() && it->second) it->second(self, doc, i, matches);
  }
  return matches;
}

}  // namespace

std::vector<Match> PhraseMatcher::operator()(Doc& doc) {
  return run_callbacks(*this, doc, impl_->find(doc, 0, doc.size()), impl_->callbacks);
}

std::vector<Match> PhraseMatcher::operator()(const Span& span) {
  return run_callbacks(*this, span.doc(), impl_->find(span.doc(), span.start(), span.end()),
                       impl_->callbacks);
}

std::vector<Span> PhraseMatcher::match_spans(Doc& doc) {
  std::vector<Span> out;
  for (const Match& m : (*this)(doc)) out.emplace_back(&doc, m.start, m.end, m.id);
  return out;
}

std::vector<Span> PhraseMatcher::match_spans(const Span& span) {
  std::vector<Span> out;
  for (const Match& m : (*this)(span)) out.emplace_back(&span.doc(), m.start, m.end, m.id);
  return out;
}

}  // namespace trfpipe
