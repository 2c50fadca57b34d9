// spaCy's DependencyMatcher (spacy/matcher/dependencymatcher.pyx): every node's RIGHT_ATTRS is
// a one-token rule of an inner Matcher; candidate trees are the product of the nodes' matched
// positions (grouped by the root of their sentence), kept when every REL_OP holds. The tree is
// read from the tokens' head offsets (TokenData::head), so it needs no parser API.
#include <algorithm>
#include <map>
#include <unordered_map>

#include "trfpipe/matcher.hpp"

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;

const char* const kOps[] = {"<",  ">",  "<<",  ">>",  ".",  ".*", ";",  ";*", "$+", "$-",
                            "$++", "$--", ">+", ">-", ">++", ">--", "<+", "<-", "<++", "<--"};

bool known_op(const std::string& op) {
  return std::find(std::begin(kOps), std::end(kOps), op) != std::end(kOps);
}

// The dependency tree of a Doc or of a Span as spaCy's span.as_doc() rewires it: heads[i] is the
// head's index (i itself for a root).
struct Tree {
  std::vector<size_t> heads;
  std::vector<std::vector<size_t>> children;  // in index order

  size_t size() const { return heads.size(); }
  std::vector<size_t> ancestors(size_t i) const {
    std::vector<size_t> out;
    for (size_t k = i, steps = 0; heads[k] != k && steps < heads.size(); ++steps) {
      k = heads[k];
      out.push_back(k);
    }
    return out;
  }
  std::vector<size_t> subtree(size_t i) const {  // i and its descendants, in index order
    std::vector<size_t> out{i}, stack{i};
    std::vector<char> seen(size(), 0);
    seen[i] = 1;
    while (!stack.empty()) {
      size_t k = stack.back();
      stack.pop_back();
      for (size_t c : children[k])
        if (!seen[c]) {
          seen[c] = 1;
          out.push_back(c);
          stack.push_back(c);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // The sentence of token i: the subtree of its root, from its left to its right edge.
  std::pair<size_t, size_t> sent(size_t i) const {
    std::vector<size_t> anc = ancestors(i);
    const size_t root = anc.empty() ? i : anc.back();
    std::vector<size_t> sub = subtree(root);
    return {sub.front(), sub.back() + 1};
  }
};

Tree make_tree(const Doc& doc, size_t start, size_t end) {
  const auto& tokens = doc.tokens();
  const size_t n = end - start;
  auto doc_head = [&](size_t i) {
    int64_t h = int64_t(i) + tokens[i].head;
    return h >= 0 && size_t(h) < doc.size() ? size_t(h) : i;
  };
  Tree t;
  t.heads.resize(n);
  std::map<int64_t, size_t> old_to_new_root;
  for (size_t i = 0; i < n; ++i) {
    const size_t di = start + i;
    int64_t head = int64_t(doc_head(di)) - int64_t(start);
    int64_t ancestor_i = head;
    if (head < 0 || head >= int64_t(n)) {
      // spaCy's _fix_dep_copy: the highest ancestor inside the span becomes the head ...
      for (size_t k = di, steps = 0; doc_head(k) != k && steps < doc.size(); ++steps) {
        k = doc_head(k);
        ancestor_i = int64_t(k) - int64_t(start);
        if (ancestor_i >= 0 && ancestor_i < int64_t(n)) head = ancestor_i;
      }
    }
    if (head < 0 || head >= int64_t(n)) {
      // ... else one new root per outside ancestor.
      auto it = old_to_new_root.find(ancestor_i);
      if (it != old_to_new_root.end()) {
        head = int64_t(it->second);
      } else {
        head = int64_t(i);
        old_to_new_root[ancestor_i] = i;
      }
    }
    t.heads[i] = size_t(head);
  }
  t.children.assign(n, {});
  for (size_t i = 0; i < n; ++i)
    if (t.heads[i] != i) t.children[t.heads[i]].push_back(i);
  return t;
}

std::vector<size_t> resolve_op(const Tree& t, size_t node, const std::string& op) {
  std::vector<size_t> out;
  const size_t head = t.heads[node];
  if (op == "<") {
    if (head != node) out.push_back(head);
  } else if (op == ">") {
    out = t.children[node];
  } else if (op == "<<") {
    out = t.ancestors(node);
  } else if (op == ">>") {
    for (size_t k : t.subtree(node))
      if (k != node) out.push_back(k);
  } else if (op == "." || op == ".*" || op == ";" || op == ";*") {
    const auto [s, e] = t.sent(node);
    if (op == ".") {
      if (node + 1 < t.size() && node + 1 >= s && node + 1 < e) out.push_back(node + 1);
    } else if (op == ".*") {
      for (size_t k = node + 1; k < e; ++k) out.push_back(k);
    } else if (op == ";") {
      if (node > 0 && node - 1 >= s && node - 1 < e) out.push_back(node - 1);
    } else {
      for (size_t k = s; k < node; ++k) out.push_back(k);
    }
  } else if (op == "$+" || op == "$-" || op == "$++" || op == "$--") {
    for (size_t c : t.children[head]) {
      if ((op == "$+" && c == node + 1) || (op == "$-" && c + 1 == node) ||
          (op == "$++" && c > node) || (op == "$--" && c < node))
        out.push_back(c);
    }
  } else if (op == ">+" || op == ">-" || op == ">++" || op == ">--") {
    for (size_t c : t.children[node]) {
      if ((op == ">+" && c == node + 1) || (op == ">-" && c + 1 == node) ||
          (op == ">++" && c > node) || (op == ">--" && c < node))
        out.push_back(c);
    }
  } else if (op == "<+") {
    if (head == node + 1) out.push_back(head);
  } else if (op == "<-") {
    if (head + 1 == node) out.push_back(head);
  } else if (op == "<++") {
    if (head > node) out.push_back(head);
  } else if (op == "<--") {
    if (head < node) out.push_back(head);
  }
  return out;
}

struct PatternTree {
  std::vector<hash_t> node_keys;                                    // inner Matcher rule per node
  std::map<size_t, std::vector<std::pair<std::string, size_t>>> edges;  // left -> (op, right)
};

struct Rule {
  std::string key;
  Json raw = Json::array();
  std::vector<PatternTree> trees;
  std::vector<std::string> inner_keys;
  DependencyMatcher::OnMatch on_match;
};

}  // namespace

struct DependencyMatcher::Impl {
  std::shared_ptr<Vocab> vocab;
  Matcher matcher;
  std::vector<hash_t> order;  // rules in insertion order
  std::unordered_map<hash_t, Rule> rules;

  Impl(std::shared_ptr<Vocab> v, bool validate) : vocab(v), matcher(v, validate) {}

  std::vector<DependencyMatch> match(Doc& doc, size_t start, size_t end, const Span* span);
};

DependencyMatcher::DependencyMatcher(std::shared_ptr<Vocab> vocab, bool validate) {
  if (!vocab) throw ValueError("DependencyMatcher needs a Vocab (got a null pointer)");
  impl_ = std::make_unique<Impl>(std::move(vocab), validate);
}
DependencyMatcher::~DependencyMatcher() = default;
DependencyMatcher::DependencyMatcher(DependencyMatcher&&) noexcept = default;
DependencyMatcher& DependencyMatcher::operator=(DependencyMatcher&&) noexcept = default;

size_t DependencyMatcher::size() const { return impl_->rules.size(); }
bool DependencyMatcher::contains(const std::string& key) const {
  return impl_->rules.count(string_id(key)) > 0;
}
std::optional<Json> DependencyMatcher::get(const std::string& key) const {
  auto it = impl_->rules.find(string_id(key));
  if (it == impl_->rules.end()) return std::nullopt;
  return it->second.raw;
}

void DependencyMatcher::add(const std::string& key, const Json& patterns, OnMatch on_match) {
  if (!patterns.is_array())
    throw ValueError("DependencyMatcher rule '" + key + "': [E948] `add` received invalid "
                     "'patterns' argument: expected a list, but got: " + std::string(patterns.type_name()));
  // spaCy's _validate_input, for every pattern before anything is added.
  for (size_t p = 0; p < patterns.size(); ++p) {
    const Json& pattern = patterns[p];
    const std::string w = "DependencyMatcher rule '" + key + "', pattern " + std::to_string(p);
    if (!pattern.is_array())
      throw ValueError(w + ": [E1008] Invalid pattern: each pattern should be a list of dicts. "
                       "Check that you are providing a list of patterns as `List[List[dict]]`.");
    if (pattern.empty()) throw ValueError(w + ": [E012] Cannot add pattern for zero tokens to matcher.\nKey: " + key);
    std::vector<std::string> visited;
    auto seen = [&](const std::string& id) {
      return std::find(visited.begin(), visited.end(), id) != visited.end();
    };
    for (size_t n = 0; n < pattern.size(); ++n) {
      const Json& rel = pattern[n];
      const std::string wn = w + ", node " + std::to_string(n);
      if (!rel.is_object())
        throw ValueError(wn + ": [E1008] Invalid pattern: each pattern should be a list of dicts.");
      if (!rel.contains("RIGHT_ATTRS") && !rel.contains("RIGHT_ID"))
        throw ValueError(wn + ": [E098] Invalid pattern: expected both RIGHT_ID and RIGHT_ATTRS.");
      if (n == 0) {
        if (!rel.contains("RIGHT_ID") || rel.contains("REL_OP") || rel.contains("LEFT_ID"))
          throw ValueError(wn + ": [E099] Invalid pattern: the first node of pattern should be an "
                                "anchor node. The node should only contain RIGHT_ID and RIGHT_ATTRS.");
        if (!rel.contains("RIGHT_ATTRS"))
          throw ValueError(wn + ": [E100] the anchor node needs RIGHT_ATTRS");
      } else {
        std::string missing;
        for (const char* k : {"RIGHT_ID", "RIGHT_ATTRS", "REL_OP", "LEFT_ID"})
          if (!rel.contains(k)) missing += (missing.empty() ? "" : ", ") + std::string(k);
        if (!missing.empty())
          throw ValueError(wn + ": [E100] Nodes other than the anchor node should all contain "
                                "{'RIGHT_ID', 'RIGHT_ATTRS', 'REL_OP', 'LEFT_ID'}, but these are "
                                "missing: " + missing);
        // spaCy warns (W126) about other keys and ignores them.
        if (!rel["RIGHT_ID"].is_string() || !rel["LEFT_ID"].is_string() || !rel["REL_OP"].is_string())
          throw ValueError(wn + ": RIGHT_ID, LEFT_ID and REL_OP must be strings");
        if (seen(rel["RIGHT_ID"].get<std::string>()) || !seen(rel["LEFT_ID"].get<std::string>()))
          throw ValueError(wn + ": [E101] RIGHT_ID should be a new node and LEFT_ID should already "
                                "have been declared in previous edges.");
        if (!known_op(rel["REL_OP"].get<std::string>()))
          throw ValueError(wn + ": [E1007] Unsupported DependencyMatcher operator '" +
                           rel["REL_OP"].get<std::string>() + "'.");
        visited.push_back(rel["LEFT_ID"].get<std::string>());
      }
      if (!rel["RIGHT_ID"].is_string()) throw ValueError(wn + ": RIGHT_ID must be a string");
      visited.push_back(rel["RIGHT_ID"].get<std::string>());
      const Json& attrs = rel["RIGHT_ATTRS"];
      if (!attrs.is_object()) throw ValueError(wn + ": RIGHT_ATTRS must be a dict of token attributes");
      for (auto it = attrs.begin(); it != attrs.end(); ++it) {
        std::string k = it.key();
        for (char& c : k) c = char(std::toupper(static_cast<unsigned char>(c)));
        if (k == "OP" && it.value().is_string() &&
            (it.value() == "?" || it.value() == "*" || it.value() == "+"))
          throw ValueError(wn + ": [E1016] The operators 'OP': '?', '*', and '+' are not "
                                "supported in DependencyMatcher token patterns. The token pattern "
                                "in RIGHT_ATTRS should return matches that are each exactly one "
                                "token long. Invalid pattern:\n" + rel.dump());
      }
    }
  }
  const hash_t id = impl_->vocab->strings().add(key);
  auto found = impl_->rules.find(id);
  if (found == impl_->rules.end()) {
    found = impl_->rules.emplace(id, Rule{}).first;
    found->second.key = key;
    impl_->order.push_back(id);
  }
  Rule& rule = found->second;
  // Each node's RIGHT_ATTRS becomes its own rule "<key id>||<pattern>||<node>" of the Matcher.
  std::vector<std::string> added;
  try {
    for (const Json& pattern : patterns) {
      const size_t index = rule.trees.size();
      PatternTree tree;
      std::map<std::string, size_t> node_of;
      for (size_t n = 0; n < pattern.size(); ++n) node_of[pattern[n]["RIGHT_ID"].get<std::string>()] = n;
      for (size_t n = 0; n < pattern.size(); ++n) {
        const std::string inner = std::to_string(id) + "||" + std::to_string(index) + "||" + std::to_string(n);
        impl_->matcher.add(inner, Json::array({Json::array({pattern[n]["RIGHT_ATTRS"]})}));
        added.push_back(inner);
        tree.node_keys.push_back(string_id(inner));
        if (pattern[n].contains("REL_OP"))
          tree.edges[node_of[pattern[n]["LEFT_ID"].get<std::string>()]].emplace_back(
              pattern[n]["REL_OP"].get<std::string>(), n);
      }
      rule.trees.push_back(std::move(tree));
      rule.raw.push_back(pattern);
    }
  } catch (...) {
    for (const std::string& inner : added) impl_->matcher.remove(inner);
    if (rule.trees.empty()) {
      impl_->rules.erase(id);
      impl_->order.erase(std::remove(impl_->order.begin(), impl_->order.end(), id), impl_->order.end());
    } else {
      rule.trees.resize(rule.raw.size());
    }
    throw;
  }
  rule.inner_keys.insert(rule.inner_keys.end(), added.begin(), added.end());
  rule.on_match = std::move(on_match);
}

void DependencyMatcher::remove(const std::string& key) {
  const hash_t id = string_id(key);
  auto it = impl_->rules.find(id);
  if (it == impl_->rules.end())
    throw ValueError("[E175] Can't remove rule for unknown match pattern ID: " + key);
  for (const std::string& inner : it->second.inner_keys) impl_->matcher.remove(inner);
  impl_->rules.erase(it);
  impl_->order.erase(std::remove(impl_->order.begin(), impl_->order.end(), id), impl_->order.end());
}

std::vector<DependencyMatch> DependencyMatcher::Impl::match(Doc& doc, size_t start, size_t end,
                                                            const Span* span) {
  const Tree tree = make_tree(doc, start, end);
  // Matched positions per sentence root (in order of first appearance) and inner rule.
  std::vector<size_t> root_order;
  std::unordered_map<size_t, std::unordered_map<hash_t, std::vector<size_t>>> positions;
  if (!matcher.size()) return {};
  Matcher::Options options;
  std::vector<Match> inner = span ? matcher(*span, options) : matcher(doc, options);
  for (const Match& m : inner) {
    std::vector<size_t> anc = tree.ancestors(m.start);
    const size_t root = anc.empty() ? m.start : anc.back();
    if (!positions.count(root)) root_order.push_back(root);
    positions[root][m.id].push_back(m.start);
  }
  std::vector<DependencyMatch> out;
  std::map<std::pair<size_t, std::string>, std::vector<size_t>> cache;
  auto valid_right = [&](size_t node, const std::string& op) -> const std::vector<size_t>& {
    auto key = std::make_pair(node, op);
    auto it = cache.find(key);
    if (it == cache.end()) it = cache.emplace(key, resolve_op(tree, node, op)).first;
    return it->second;
  };
  static const std::vector<size_t> kNone;
  for (hash_t id : order) {
    const Rule& rule = rules.at(id);
    for (const PatternTree& pt : rule.trees) {
      for (size_t root : root_order) {
        const auto& by_key = positions[root];
        std::vector<const std::vector<size_t>*> lists;
        bool empty = false;
        for (hash_t k : pt.node_keys) {
          auto it = by_key.find(k);
          lists.push_back(it == by_key.end() ? &kNone : &it->second);
          empty = empty || lists.back()->empty();
        }
        if (empty) continue;
        // itertools.product, in its order.
        std::vector<size_t> idx(lists.size(), 0), candidate(lists.size());
        while (true) {
          for (size_t k = 0; k < lists.size(); ++k) candidate[k] = (*lists[k])[idx[k]];
          bool ok = true;
          for (const auto& [left, rels] : pt.edges) {
            for (const auto& [op, right] : rels) {
              const std::vector<size_t>& v = valid_right(candidate[left], op);
              if (std::find(v.begin(), v.end(), candidate[right]) == v.end()) {
                ok = false;
                break;
              }
            }
            if (!ok) break;
          }
          if (ok) out.push_back({id, candidate});
          // Advance the odometer; done when every position wrapped around.
          bool done = true;
          for (size_t k = lists.size(); k-- > 0;) {
            if (++idx[k] < lists[k]->size()) {
              done = false;
              break;
            }
            idx[k] = 0;
          }
          if (done) break;
        }
      }
    }
  }
  return out;
}

std::vector<DependencyMatch> DependencyMatcher::operator()(Doc& doc) {
  std::vector<DependencyMatch> out = impl_->match(doc, 0, doc.size(), nullptr);
  for (size_t i = 0; i < out.size(); ++i) {
    const Rule& rule = impl_->rules.at(out[i].id);
    if (rule.on_match) rule.on_match(*this, doc, i, out);
  }
  return out;
}

std::vector<DependencyMatch> DependencyMatcher::operator()(const Span& span) {
  std::vector<DependencyMatch> out = impl_->match(span.doc(), span.start(), span.end(), &span);
  for (size_t i = 0; i < out.size(); ++i) {
    const Rule& rule = impl_->rules.at(out[i].id);
    if (rule.on_match) rule.on_match(*this, span.doc(), i, out);
  }
  return out;
}

}  // namespace trfpipe
