#include "components/edit_tree_lemmatizer/edit_trees.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "tokenization/subword_unicode.hpp"  // decode_utf8 / append_utf8
#include "trfpipe/error.hpp"

namespace trfpipe::edit_trees {

namespace {

std::u32string to_u32(std::string_view s) {
  std::u32string out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  for (size_t i = 0, len = 0; i < s.size(); i += len) out.push_back(subword::decode_utf8(p, s.size(), i, len));
  return out;
}

std::string to_utf8(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) subword::append_utf8(out, uint32_t(c));
  return out;
}

// spaCy's find_lcs: the longest common substring of source and target (the first found when
// several have the longest length, scanning source then target positions). All zero when none.
struct Lcs {
  size_t source_begin = 0, source_end = 0, target_begin = 0, target_end = 0;
  bool empty() const {
    return source_begin == 0 && source_end == 0 && target_begin == 0 && target_end == 0;
  }
};

Lcs find_lcs(const std::u32string& source, const std::u32string& target) {
  Lcs lcs;
  size_t longest = 0;
  std::vector<size_t> prev(target.size(), 0), cur(target.size(), 0);
  for (size_t si = 0; si < source.size(); ++si) {
    for (size_t ti = 0; ti < target.size(); ++ti) {
      if (source[si] == target[ti]) {
        cur[ti] = si == 0 || ti == 0 ? 1 : prev[ti - 1] + 1;
        if (cur[ti] > longest) {
          longest = cur[ti];
          lcs.source_begin = si - longest + 1;
          lcs.source_end = si + 1;
          lcs.target_begin = ti - longest + 1;
          lcs.target_end = ti + 1;
        }
      } else {
        cur[ti] = 0;
      }
    }
    std::swap(prev, cur);
  }
  return lcs;
}

// A non-negative JSON integer (parsed numbers are unsigned, literals may be signed).
bool is_uint(const Json& v) {
  return v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0);
}

}  // namespace

EditTrees::Key EditTrees::key_of(const EditTree& t) {
  if (t.is_match) return Key{true, t.prefix_len, t.suffix_len, t.prefix_tree, t.suffix_tree};
  return Key{false, t.orig, t.subst, 0, 0};
}

uint32_t EditTrees::tree_id(const EditTree& tree) {
  Key k = key_of(tree);
  auto it = map_.find(k);
  if (it != map_.end()) return it->second;
  const uint32_t id = uint32_t(trees_.size());
  trees_.push_back(tree);
  map_.emplace(k, id);
  return id;
}

uint32_t EditTrees::add(std::string_view form, std::string_view lemma) {
  return add_(to_u32(form), to_u32(lemma));
}

uint32_t EditTrees::add_(const std::u32string& form, const std::u32string& lemma) {
  // Two empty strings make a match node (their LCS is empty, which would otherwise make a
  // substitution node), as spaCy's add() special-cases them.
  if (form.empty() && lemma.empty()) {
    EditTree t;
    t.is_match = true;
    return tree_id(t);
  }
  const Lcs lcs = find_lcs(form, lemma);
  EditTree t;
  if (lcs.empty()) {
    t.orig = strings_->add(to_utf8(form));
    t.subst = strings_->add(to_utf8(lemma));
    return tree_id(t);
  }
  // E.g. "ge[gooi]d" -> "[gooi]en": trees for the prefix pair ("ge", "") and the suffix pair
  // ("d", "en") around the common part.
  t.is_match = true;
  if (lcs.source_begin != 0 || lcs.target_begin != 0)
    t.prefix_tree = add_(form.substr(0, lcs.source_begin), lemma.substr(0, lcs.target_begin));
  if (lcs.source_end != form.size() || lcs.target_end != lemma.size())
    t.suffix_tree = add_(form.substr(lcs.source_end), lemma.substr(lcs.target_end));
  t.prefix_len = uint32_t(lcs.source_begin);
  t.suffix_len = uint32_t(form.size() - lcs.source_end);
  return tree_id(t);
}

std::optional<std::string> EditTrees::apply(uint32_t tree_id, std::string_view form) const {
  if (tree_id >= trees_.size())
    throw ValueError("[E1030] Edit tree identifier " + std::to_string(tree_id) +
                     " is out of range (" + std::to_string(trees_.size()) + " trees)");
  std::u32string out;
  if (!apply_(tree_id, to_u32(form), out)) return std::nullopt;
  return to_utf8(out);
}

bool EditTrees::apply_(uint32_t id, const std::u32string& form, std::u32string& out) const {
  const EditTree& t = trees_.at(id);
  if (t.is_match) {
    if (size_t(t.prefix_len) + t.suffix_len > form.size()) return false;
    const size_t suffix_start = form.size() - t.suffix_len;
    if (t.prefix_tree != kNullTreeId && !apply_(t.prefix_tree, form.substr(0, t.prefix_len), out))
      return false;
    out += form.substr(t.prefix_len, suffix_start - t.prefix_len);
    if (t.suffix_tree != kNullTreeId && !apply_(t.suffix_tree, form.substr(suffix_start), out))
      return false;
    return true;
  }
  for (hash_t h : {t.orig, t.subst})
    if (!strings_->contains(h))
      throw ValueError("edit tree " + std::to_string(id) + " refers to string " +
                       std::to_string(h) + ", which is not in the StringStore");
  if (to_u32((*strings_)[t.orig]) != form) return false;
  out += to_u32((*strings_)[t.subst]);
  return true;
}

std::string EditTrees::tree_to_str(uint32_t id) const {
  if (id >= trees_.size())
    throw ValueError("[E1030] Edit tree identifier " + std::to_string(id) + " is out of range");
  const EditTree& t = trees_[id];
  if (!t.is_match)
    return "(s '" + (*strings_)[t.orig] + "' '" + (*strings_)[t.subst] + "')";
  auto sub = [&](uint32_t s) { return s == kNullTreeId ? std::string("()") : tree_to_str(s); };
  return "(m " + std::to_string(t.prefix_len) + " " + std::to_string(t.suffix_len) + " " +
         sub(t.prefix_tree) + " " + sub(t.suffix_tree) + ")";
}

Json EditTrees::node_to_json(uint32_t id, bool strings_as_text) const {
  const EditTree& t = trees_.at(id);
  if (t.is_match)
    return Json{{"prefix_len", t.prefix_len},
                {"suffix_len", t.suffix_len},
                {"prefix_tree", t.prefix_tree},
                {"suffix_tree", t.suffix_tree}};
  if (strings_as_text) return Json{{"orig", (*strings_)[t.orig]}, {"subst", (*strings_)[t.subst]}};
  return Json{{"orig", t.orig}, {"subst", t.subst}};
}

void EditTrees::from_json(const Json& nodes) {
  if (!nodes.is_array()) throw ValueError("edit trees: expected a list of tree nodes");
  std::vector<EditTree> trees;
  for (size_t i = 0; i < nodes.size(); ++i) {
    const Json& n = nodes[i];
    auto bad = [&](const std::string& why) {
      return ValueError("[E1026] edit tree " + std::to_string(i) + " is invalid: " + why);
    };
    if (!n.is_object()) throw bad("not a dict");
    EditTree t;
    if (n.contains("prefix_len")) {
      for (const char* k : {"prefix_len", "suffix_len", "prefix_tree", "suffix_tree"})
        if (!n.contains(k) || !is_uint(n[k])) throw bad(std::string("'") + k + "' must be an integer");
      if (n.size() != 4) throw bad("a match node has exactly prefix_len, suffix_len, prefix_tree, suffix_tree");
      t.is_match = true;
      t.prefix_len = n["prefix_len"].get<uint32_t>();
      t.suffix_len = n["suffix_len"].get<uint32_t>();
      t.prefix_tree = n["prefix_tree"].get<uint32_t>();
      t.suffix_tree = n["suffix_tree"].get<uint32_t>();
    } else {
      if (!n.contains("orig") || !n.contains("subst") || n.size() != 2)
        throw bad("expected a match node or a substitution node {orig, subst}");
      for (const char* k : {"orig", "subst"}) {
        const Json& v = n[k];
        hash_t h = 0;
        if (v.is_string()) h = strings_->add(v.get<std::string>());
        else if (is_uint(v)) h = v.get<hash_t>();
        else throw bad(std::string("'") + k + "' must be a string or a string ID");
        (std::string(k) == "orig" ? t.orig : t.subst) = h;
      }
    }
    trees.push_back(t);
  }
  for (size_t i = 0; i < trees.size(); ++i) {
    const EditTree& t = trees[i];
    if (!t.is_match) continue;
    for (uint32_t s : {t.prefix_tree, t.suffix_tree})
      if (s != kNullTreeId && s >= trees.size())
        throw ValueError("[E1026] edit tree " + std::to_string(i) + " refers to tree " +
                         std::to_string(s) + ", which does not exist");
  }
  trees_ = std::move(trees);
  rebuild_map();
}

void EditTrees::rebuild_map() {
  map_.clear();
  for (size_t i = 0; i < trees_.size(); ++i) map_.emplace(key_of(trees_[i]), uint32_t(i));
}

std::string EditTrees::to_bytes() const {
  Json nodes = Json::array();
  for (size_t i = 0; i < trees_.size(); ++i) nodes.push_back(node_to_json(uint32_t(i)));
  std::vector<uint8_t> bytes = Json::to_msgpack(Json{{"trees", nodes}});
  return std::string(bytes.begin(), bytes.end());
}

void EditTrees::from_bytes(std::string_view data) {
  Json msg;
  try {
    msg = Json::from_msgpack(data.begin(), data.end());
  } catch (const nlohmann::json::exception& e) {
    throw ValueError(std::string("edit trees: invalid msgpack data: ") + e.what());
  }
  if (!msg.is_object() || !msg.contains("trees"))
    throw ValueError("edit trees: expected a msgpack map with a 'trees' list");
  // spaCy's from_bytes appends to the trees already held.
  Json all = Json::array();
  for (size_t i = 0; i < trees_.size(); ++i) all.push_back(node_to_json(uint32_t(i)));
  if (!msg["trees"].is_array()) throw ValueError("edit trees: 'trees' must be a list");
  for (const Json& n : msg["trees"]) all.push_back(n);
  from_json(all);
}

void EditTrees::to_disk(const std::string& path) const {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << to_bytes();
  out.close();
  if (!out) throw Error("could not write " + path);
}

void EditTrees::from_disk(const std::string& path) {
  if (!std::filesystem::exists(path)) return;
  std::ifstream in(path, std::ios::binary);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) throw DataError(path, -1, "could not read the edit trees");
  try {
    from_bytes(data);
  } catch (const ValueError& e) {
    throw DataError(path, -1, e.what());
  }
}

}  // namespace trfpipe::edit_trees
