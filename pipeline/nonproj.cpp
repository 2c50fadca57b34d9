// spaCy's nonproj.pyx (see include/trfpipe/nonproj.hpp).
#include "trfpipe/nonproj.hpp"

#include <climits>
#include <cstdlib>
#include <unordered_set>

#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::nonproj {

namespace {

std::string heads_to_string(const std::vector<int64_t>& heads) {
  std::string s = "Found cycle in dependency graph: [";
  for (size_t i = 0; i < heads.size(); ++i) s += (i ? ", " : "") + std::to_string(heads[i]);
  return s + "]";
}

void check_heads(const std::vector<int64_t>& heads) {
  for (size_t i = 0; i < heads.size(); ++i)
    if (heads[i] < -1 || heads[i] >= int64_t(heads.size()))
      throw ValueError("head " + std::to_string(heads[i]) + " of token " + std::to_string(i) +
                       " is outside the tree of " + std::to_string(heads.size()) + " tokens");
}

bool has_head_as_ancestor(int64_t token, int64_t head, const std::vector<int64_t>& heads) {
  int64_t ancestor = token;
  std::unordered_set<int64_t> seen{ancestor};
  while (true) {
    const int64_t h = heads[size_t(ancestor)];
    if (h == head || h < 0) return true;  // reached the head or a disconnected node
    if (h == ancestor) return false;      // reached the root
    ancestor = h;
    if (!seen.insert(ancestor).second) throw ValueError(heads_to_string(heads));
  }
}

bool nonproj_arc(int64_t token, const std::vector<int64_t>& heads) {
  const int64_t head = heads[size_t(token)];
  if (head == token || head < 0) return false;  // roots and unattached tokens
  const int64_t start = head < token ? head + 1 : token + 1, end = head < token ? token : head;
  for (int64_t k = start; k < end; ++k)
    if (!has_head_as_ancestor(k, head, heads)) return true;
  return false;
}

}  // namespace

std::vector<int64_t> ancestors(int64_t token, const std::vector<int64_t>& heads) {
  std::vector<int64_t> out;
  int64_t head = token;
  for (size_t n = 0; head >= 0 && heads[size_t(head)] != head && n < heads.size(); ++n) {
    head = heads[size_t(head)];
    out.push_back(head);
  }
  return out;
}

std::optional<std::set<int64_t>> contains_cycle(const std::vector<int64_t>& heads) {
  check_heads(heads);
  for (int64_t t = 0; t < int64_t(heads.size()); ++t) {
    std::set<int64_t> seen{t};
    for (int64_t a : ancestors(t, heads)) {
      if (seen.count(a)) return seen;
      seen.insert(a);
    }
  }
  return std::nullopt;
}

bool is_nonproj_arc(int64_t token, const std::vector<int64_t>& heads) {
  check_heads(heads);
  if (token < 0 || token >= int64_t(heads.size()))
    throw ValueError("token " + std::to_string(token) + " is outside the tree");
  return nonproj_arc(token, heads);
}

bool is_nonproj_tree(const std::vector<int64_t>& heads) {
  check_heads(heads);
  for (int64_t t = 0; t < int64_t(heads.size()); ++t)
    if (nonproj_arc(t, heads)) return true;
  return false;
}

std::pair<std::string, std::string> decompose(const std::string& label) {
  const size_t p = label.find(kDelimiter);
  if (p == std::string::npos) return {label, ""};
  return {label.substr(0, p), label.substr(p + 2)};
}

bool is_decorated(const std::string& label) { return label.find(kDelimiter) != std::string::npos; }

int64_t smallest_nonproj_arc(const std::vector<int64_t>& heads) {
  check_heads(heads);
  int64_t smallest_size = INT64_MAX, smallest = -1;
  for (int64_t t = 0; t < int64_t(heads.size()); ++t) {
    const int64_t size = std::abs(t - heads[size_t(t)]);
    if (size < smallest_size && nonproj_arc(t, heads)) {
      smallest_size = size;
      smallest = t;
    }
  }
  return smallest;
}

int64_t lift(int64_t token, std::vector<int64_t>& heads) {
  const int64_t head = heads[size_t(token)], ghead = heads[size_t(head)];
  const int64_t new_head = head != ghead ? ghead : token;
  heads[size_t(token)] = new_head;
  return new_head;
}

std::pair<std::vector<int64_t>, std::vector<std::string>> projectivize(
    const std::vector<int64_t>& heads, const std::vector<std::string>& labels) {
  if (heads.size() != labels.size())
    throw ValueError("[E082] projectivize: " + std::to_string(heads.size()) + " heads but " +
                     std::to_string(labels.size()) + " labels");
  std::vector<int64_t> proj = heads;
  int64_t arc = smallest_nonproj_arc(proj);
  if (arc == -1) return {proj, labels};
  while (arc != -1) {
    lift(arc, proj);
    arc = smallest_nonproj_arc(proj);
  }
  // _decorate: the HEAD scheme.
  std::vector<std::string> deco;
  deco.reserve(labels.size());
  for (size_t t = 0; t < heads.size(); ++t)
    deco.push_back(heads[t] != proj[t] ? labels[t] + kDelimiter + labels[size_t(heads[t])]
                                       : labels[t]);
  return {proj, deco};
}

namespace {

// _find_new_head: breadth-first below the token's head for a child labelled `head_label`.
size_t find_new_head(const Token& token, const std::string& head_label) {
  std::vector<Token> queue{token.head()};
  while (!queue.empty()) {
    std::vector<Token> next;
    for (const Token& q : queue)
      for (const Token& child : q.children()) {
        if (child.is_space() || child.i() == token.i()) continue;
        if (child.dep_() == head_label) return child.i();
        next.push_back(child);
      }
    if (next.size() > 4 * token.doc().size() + 8) break;  // malformed (cyclic) heads
    queue = std::move(next);
  }
  return token.head().i();
}

}  // namespace

void deprojectivize(Doc& doc) {
  for (size_t i = 0; i < doc.size(); ++i) {
    const std::string label = doc[i].dep_();
    if (!is_decorated(label)) continue;
    auto [new_label, head_label] = decompose(label);
    const size_t new_head = find_new_head(doc[i], head_label);
    // As spaCy: the raw head and label; the navigation data is recomputed once at the end.
    doc.tokens()[i].head = int32_t(int64_t(new_head) - int64_t(i));
    doc[i].set_dep(new_label);
  }
  doc.set_children_from_heads();
}

}  // namespace trfpipe::nonproj
