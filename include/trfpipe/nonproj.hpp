// Pseudo-projective parsing (spaCy's spacy/pipeline/_parser_internals/nonproj.pyx, after Nivre &
// Nilsson 2005, HEAD decoration): a non-projective gold tree is made projective by lifting arcs,
// the lifted arcs' labels are decorated "label||head_label", and the parser's output is
// deprojectivized by re-attaching decorated tokens below the first (breadth-first) descendant of
// their head that carries head_label. Torch-free.
//
// Heads are absolute token indices within one tree list; -1 stands for spaCy's None (unknown).
#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace trfpipe {

class Doc;

namespace nonproj {

inline constexpr const char* kDelimiter = "||";

// The path from `token` up to its root (at most heads.size() steps, so cycles end); -1 (None) is
// yielded and ends the walk when the path reaches an unknown head.
std::vector<int64_t> ancestors(int64_t token, const std::vector<int64_t>& heads);
// The tokens of the first cycle found (tokens visited along it), or nullopt for a forest.
std::optional<std::set<int64_t>> contains_cycle(const std::vector<int64_t>& heads);
// An arc h -> d is non-projective when a token between them does not descend from h. A cycle
// on the way is a ValueError "Found cycle in dependency graph: [h0, h1, ...]".
bool is_nonproj_arc(int64_t token, const std::vector<int64_t>& heads);
bool is_nonproj_tree(const std::vector<int64_t>& heads);
// "X||Y" -> ("X", "Y"); "X" -> ("X", "").
std::pair<std::string, std::string> decompose(const std::string& label);
bool is_decorated(const std::string& label);
// The shortest non-projective arc (ties: leftmost), -1 when the tree is projective.
int64_t smallest_nonproj_arc(const std::vector<int64_t>& heads);
// Re-attaches `token` to its grandparent (or to itself when its head is a root); returns the
// new head.
int64_t lift(int64_t token, std::vector<int64_t>& heads);
// spaCy's projectivize: (projective heads, labels decorated where an arc was lifted). Labels of
// unchanged arcs are kept as they are. ValueError on a cycle or a size mismatch.
std::pair<std::vector<int64_t>, std::vector<std::string>> projectivize(
    const std::vector<int64_t>& heads, const std::vector<std::string>& labels);
// spaCy's deprojectivize(doc): every decorated label X||Y becomes X and its token moves below
// the first token labelled Y found breadth-first among the descendants of its current head
// (white-space tokens and the token itself skipped); without one the head stays. Then the
// Doc's navigation data and sentence starts are recomputed.
void deprojectivize(Doc& doc);

}  // namespace nonproj
}  // namespace trfpipe
