// Edit trees (Müller et al., 2015) exactly as spaCy builds them
// (spacy/pipeline/_edit_tree_internals/edit_trees.pyx): a tree rewrites a word form into its
// lemma with match nodes (keep the middle of the form, recurse into the prefix and suffix
// around it) and substitution nodes (replace an exact string). Trees are built around the
// longest common substring of form and lemma, on Unicode code points, and deduplicated, so
// the ids of a container depend only on the order of add() calls, as in spaCy.
//
// Substitution strings are kept as StringStore IDs (spaCy's hashes) in the given store; the
// serialized form is spaCy's `trees` file: msgpack {"trees": [node dicts]}.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "trfpipe/config.hpp"
#include "trfpipe/strings.hpp"

namespace trfpipe::edit_trees {

constexpr uint32_t kNullTreeId = UINT32_MAX;

struct EditTree {
  bool is_match = false;
  // Match node: keep form[prefix_len : len - suffix_len] and rewrite the cut-off prefix and
  // suffix with prefix_tree / suffix_tree (kNullTreeId: no subtree; that part contributes
  // nothing, it was empty in the form and the lemma the tree was built from).
  uint32_t prefix_len = 0, suffix_len = 0;
  uint32_t prefix_tree = kNullTreeId, suffix_tree = kNullTreeId;
  // Substitution node: the form part must equal `orig`; the lemma part is `subst`.
  hash_t orig = 0, subst = 0;
};

class EditTrees {
 public:
  explicit EditTrees(StringStore& strings) : strings_(&strings) {}

  // The id of the tree that rewrites `form` into `lemma` (added when new).
  uint32_t add(std::string_view form, std::string_view lemma);
  // The lemma, or nullopt when the tree does not apply to `form`. ValueError for an unknown id
  // (spaCy's E1030) or a substitution string missing from the StringStore.
  std::optional<std::string> apply(uint32_t tree_id, std::string_view form) const;
  // S-expression for debugging: "(m 0 3 () (m 0 2 (s '' 'l') (s 'lt' 'n')))".
  std::string tree_to_str(uint32_t tree_id) const;

  size_t size() const { return trees_.size(); }
  const EditTree& operator[](size_t i) const { return trees_.at(i); }

  // A node as spaCy's dict: {"prefix_len", "suffix_len", "prefix_tree", "suffix_tree"} or
  // {"orig", "subst"} (IDs; with `strings_as_text` the strings themselves, as label_data).
  Json node_to_json(uint32_t tree_id, bool strings_as_text = false) const;
  // Replaces the trees with `nodes` (spaCy's from_json): each a match or substitution dict;
  // substitution strings may be IDs or text (text is added to the StringStore). ValueError
  // naming the node for anything else, or for a subtree id that is out of range.
  void from_json(const Json& nodes);

  // spaCy's to_bytes / from_bytes: msgpack {"trees": [...]}. from_bytes appends, as spaCy's.
  std::string to_bytes() const;
  void from_bytes(std::string_view data);  // ValueError for malformed data
  void to_disk(const std::string& path) const;
  void from_disk(const std::string& path);  // a missing file leaves the trees as they are

 private:
  uint32_t add_(const std::u32string& form, const std::u32string& lemma);
  uint32_t tree_id(const EditTree& tree);
  bool apply_(uint32_t tree_id, const std::u32string& form, std::u32string& out) const;
  void rebuild_map();
  using Key = std::tuple<bool, uint64_t, uint64_t, uint64_t, uint64_t>;
  static Key key_of(const EditTree& t);

  StringStore* strings_;
  std::vector<EditTree> trees_;
  std::map<Key, uint32_t> map_;
};

}  // namespace trfpipe::edit_trees
