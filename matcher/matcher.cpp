// spaCy's token-pattern Matcher (spacy/matcher/matcher.pyx): patterns compiled to token specs
// with quantifiers, matched by the same state machine (get_action, transition_states,
// finish_states), so matches, their order, greedy filtering and alignments are spaCy's.
//
// One addition for speed: a pattern whose first token spec must match exactly once with an
// exact attribute value (`{"LOWER": "new"}`) is only started at tokens with that value. spaCy
// starts every pattern at every token and rejects such states on their first step without any
// effect, so skipping them changes nothing but the time.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "matcher/py_regex.hpp"
#include "matcher/schema.hpp"
#include "matcher/token_values.hpp"
#include "trfpipe/morphology.hpp"
#include "trfpipe/attrs.hpp"
#include "trfpipe/matcher.hpp"

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;
using matcher::ExtValue;
using matcher::PyRegex;

enum Quantifier : uint8_t { ZERO, ZERO_ONE, ZERO_PLUS, ONE };
enum Action : uint8_t {
  REJECT, MATCH, ADVANCE, RETRY, RETRY_EXTEND, RETRY_ADVANCE, MATCH_EXTEND, MATCH_REJECT,
  MATCH_DOUBLE
};

struct SpecNode {
  Quantifier quantifier = ONE;
  std::vector<std::pair<uint32_t, uint64_t>> attrs;  // (column, value)
  std::vector<std::pair<uint32_t, uint64_t>> exts;   // (extension, exact key)
  std::vector<uint32_t> predicates;
  int32_t token_idx = 0;
};

struct CompiledPattern {
  hash_t key = 0;
  std::vector<SpecNode> nodes;
};

struct Predicate {
  enum class Kind { Regex, Set, Compare, Fuzzy } kind = Kind::Regex;
  std::string op;  // REGEX, IN, NOT_IN, IS_SUBSET, IS_SUPERSET, INTERSECTS, ==, >=, FUZZY3 ...
  bool is_ext = false;
  uint32_t column = 0;  // attribute column (attributes)
  uint64_t attr = 0;
  uint32_t ext = 0;     // extension index (extensions)
  std::shared_ptr<PyRegex> regex;
  std::unordered_set<uint64_t> ids;
  std::vector<std::shared_ptr<PyRegex>> regexes;
  std::vector<std::string> strings;
  bool set_regex = false;
  bool set_fuzzy = false;
  int fuzzy = -1;
  double number = 0;
};

struct Rule {
  Json patterns = Json::array();
  Matcher::OnMatch on_match;
  std::string greedy;
};

struct State {
  uint32_t pattern;
  uint32_t node;
  int32_t start;
  int32_t length;
};

using Alignment = std::vector<std::pair<int32_t, int32_t>>;  // (token_idx, length)

struct RawMatch {
  hash_t key;
  int32_t start, length;
};

std::string where(const std::string& key, size_t pattern, size_t token, const std::string& spec_key) {
  std::string w = "Matcher rule '" + key + "', pattern " + std::to_string(pattern);
  if (token != size_t(-1)) w += ", token " + std::to_string(token);
  if (!spec_key.empty()) w += ", key '" + spec_key + "'";
  return w + ": ";
}

const char* kE154 =
    "[E154] One of the attributes or values is not supported for token patterns. Please use the "
    "option `validate=True` with the Matcher, PhraseMatcher, EntityRuler or AttributeRuler for "
    "more details.";

bool is_flag_attr(uint64_t a) {
  return a < 64 || a == attrs::SPACY || a == attrs::SENT_START;
}

}  // namespace

// ---------------------------------------------------------------------------------- Impl

struct Matcher::Impl {
  std::shared_ptr<Vocab> vocab;
  bool validate = true;
  FuzzyCompare fuzzy_compare;
  std::vector<std::pair<hash_t, std::string>> key_order;  // rules in insertion order
  std::unordered_map<hash_t, Rule> rules;
  std::vector<CompiledPattern> patterns;
  std::vector<Predicate> predicates;
  std::unordered_map<std::string, uint32_t> predicate_keys;  // spaCy's _predicate_cache_key
  std::vector<uint64_t> columns;                             // attribute of each column
  std::unordered_map<uint64_t, uint32_t> column_of;
  std::vector<std::string> extensions;                       // extension of each index
  std::unordered_map<std::string, uint32_t> extension_of;
  std::set<uint64_t> seen_attrs;
  // First-token index: (column, value) -> patterns, and the patterns that start anywhere.
  bool index_dirty = true;
  std::vector<std::unordered_map<uint64_t, std::vector<uint32_t>>> index;
  std::vector<uint32_t> index_columns;
  std::vector<uint32_t> always;

  uint32_t column(uint64_t attr) {
    auto it = column_of.find(attr);
    if (it != column_of.end()) return it->second;
    uint32_t c = uint32_t(columns.size());
    columns.push_back(attr);
    column_of.emplace(attr, c);
    return c;
  }
  uint32_t extension(const std::string& name) {
    auto it = extension_of.find(name);
    if (it != extension_of.end()) return it->second;
    uint32_t e = uint32_t(extensions.size());
    extensions.push_back(name);
    extension_of.emplace(name, e);
    return e;
  }

  std::vector<Quantifier> operators(const Json& spec, const std::string& w);
  uint64_t resolve_attr(const std::string& key, const std::string& w) const;
  uint64_t exact_value(uint64_t attr, const Json& value, const std::string& w);
  // `at(path)` names the place of a problem ("Matcher rule 'R', pattern 0, token 1, key
  // 'ORTH -> IN': "); `path` is the spec key leading to `dict`.
  void add_predicates(bool is_ext, uint64_t attr, const std::string& ext_name, const Json& dict,
                      bool regex, std::optional<int> fuzzy, std::vector<uint32_t>& out,
                      const std::function<std::string(const std::string&)>& at,
                      const std::string& path);
  std::vector<SpecNode> compile(const Json& pattern, const std::string& key, size_t index);
  void rebuild_index();

  std::vector<Match> find(Doc& doc, size_t offset, size_t length, bool with_alignments);
};

std::vector<Quantifier> Matcher::Impl::operators(const Json& spec, const std::string& w) {
  const Json* op = nullptr;
  for (auto it = spec.begin(); it != spec.end(); ++it)
    if (matcher::upper_ascii(it.key()) == "OP") op = &it.value();
  if (!op) return {ONE};
  const std::string opts =
      "!, ?, +, *, 1, {n}, {n,m}, {n,}, {,m} where n and m are integers and n <= m";
  if (!op->is_string()) throw ValueError(w + kE154);
  const std::string s = op->get<std::string>();
  if (s == "*") return {ZERO_PLUS};
  if (s == "+") return {ONE, ZERO_PLUS};
  if (s == "?") return {ZERO_ONE};
  if (s == "1") return {ONE};
  if (s == "!") return {ZERO};
  auto bad = [&]() { return ValueError(w + "[E011] Unknown operator: '" + s + "'. Options: " + opts); };
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') throw bad();
  std::string inner = s.substr(1, s.size() - 2);
  if (inner.find(',') == std::string::npos) inner = inner + "," + inner;
  const size_t comma = inner.find(',');
  const std::string n = inner.substr(0, comma), m = inner.substr(comma + 1);
  if (m.find(',') != std::string::npos) throw bad();
  auto decimal = [](const std::string& x) {
    return !x.empty() && std::all_of(x.begin(), x.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  // Digits beyond what a long long holds (std::stoll would throw out_of_range) count as "huge".
  auto value = [](const std::string& x) -> long long {
    const size_t first = x.find_first_not_of('0');
    if (first == std::string::npos) return 0;
    return x.size() - first > 12 ? 1000000000000LL : std::stoll(x.substr(first));
  };
  if ((!decimal(n) && !decimal(m)) || (decimal(n) && decimal(m) && value(n) > value(m)) ||
      (!n.empty() && !decimal(n)) || (!m.empty() && !decimal(m)))
    throw bad();
  const long long lo = n.empty() ? 0 : value(n);
  if (lo > 10000 || (!m.empty() && value(m) > 10000))
    throw ValueError(w + "operator '" + s + "': repeat counts above 10000 are not supported");
  std::vector<Quantifier> out(size_t(lo), ONE);
  if (m.empty()) out.push_back(ZERO_PLUS);
  else out.insert(out.end(), size_t(value(m) - lo), ZERO_ONE);
  return out;
}

uint64_t Matcher::Impl::resolve_attr(const std::string& key, const std::string& w) const {
  std::string name = matcher::upper_ascii(key);
  if (name == "TEXT") name = "ORTH";
  if (name == "IS_SENT_START") name = "SENT_START";
  std::optional<uint64_t> id = attr_id(name);
  if (!id || *id == attrs::NULL_ATTR)
    throw ValueError(w + "[E152] The attribute " + key +
                     " is not supported for token patterns. Please use the option "
                     "`validate=True` with the Matcher, PhraseMatcher, EntityRuler or "
                     "AttributeRuler for more details.");
  return *id;
}

uint64_t Matcher::Impl::exact_value(uint64_t attr, const Json& v, const std::string& w) {
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (attr == attrs::ENT_IOB) {
      static const char* iob[] = {"", "I", "O", "B"};
      for (uint64_t k = 0; k < 4; ++k)
        if (s == iob[k]) return k;
      throw ValueError(w + "ENT_IOB takes \"\", \"I\", \"O\" or \"B\", got \"" + s + "\"");
    }
    if (!is_string_attr(attr))
      throw ValueError(w + attr_name(attr) + " takes " +
                       (is_flag_attr(attr) ? "true or false" : "a number") + ", got the string \"" +
                       s + "\"");
    return vocab->strings().add(s);
  }
  if (v.is_boolean()) {
    if (!is_flag_attr(attr))
      throw ValueError(w + attr_name(attr) + " takes " +
                       (is_string_attr(attr) ? "a string" : "a number") + ", got " + v.dump());
    return v.get<bool>() ? 1 : 0;
  }
  if (v.is_number_integer()) {
    // spaCy takes integers as they are (string attributes: StringStore IDs).
    return v.is_number_unsigned() ? v.get<uint64_t>() : uint64_t(v.get<int64_t>());
  }
  throw ValueError(w + "[E153] The value type " +
                   std::string(v.is_number_float() ? "float" : v.is_null() ? "NoneType" : v.type_name()) +
                   " is not supported for token patterns. Please use the option validate=True "
                   "with Matcher, PhraseMatcher, EntityRuler or AttributeRuler for more details.");
}

void Matcher::Impl::add_predicates(bool is_ext, uint64_t attr, const std::string& ext_name,
                                   const Json& dict, bool regex, std::optional<int> fuzzy,
                                   std::vector<uint32_t>& out,
                                   const std::function<std::string(const std::string&)>& at,
                                   const std::string& path) {
  static const std::set<std::string> set_ops = {"IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET",
                                                "INTERSECTS"};
  static const std::set<std::string> cmp_ops = {"==", "!=", ">=", "<=", ">", "<"};
  for (auto it = dict.begin(); it != dict.end(); ++it) {
    const std::string type = matcher::upper_ascii(it.key());
    const Json& value = it.value();
    const std::string pw = at(path + " -> " + it.key());
    Predicate p;
    p.op = type;
    p.is_ext = is_ext;
    p.attr = attr;
    if (is_ext) p.ext = extension(ext_name);
    else p.column = column(attr);
    const bool is_fuzzy_op = type == "FUZZY" || (type.size() == 6 && type.compare(0, 5, "FUZZY") == 0 &&
                                                 type[5] >= '1' && type[5] <= '9');
    if (type == "REGEX") {
      if (value.is_object()) {
        add_predicates(is_ext, attr, ext_name, value, true, std::nullopt, out, at, path + " -> " + it.key());
        continue;
      }
      if (!value.is_string()) throw ValueError(pw + "REGEX takes a string, got " + value.dump());
      p.kind = Predicate::Kind::Regex;
      try {
        p.regex = std::make_shared<PyRegex>(value.get<std::string>());
      } catch (const ValueError& e) {
        throw ValueError(pw + e.what());
      }
    } else if (is_fuzzy_op) {
      const int n = type.size() == 5 ? -1 : type[5] - '0';
      if (value.is_object()) {
        add_predicates(is_ext, attr, ext_name, value, false, n, out, at, path + " -> " + it.key());
        continue;
      }
      if (!value.is_string()) throw ValueError(pw + type + " takes a string, got " + value.dump());
      p.kind = Predicate::Kind::Fuzzy;
      p.fuzzy = n;
      p.strings = {value.get<std::string>()};
    } else if (set_ops.count(type)) {
      if (!value.is_array()) throw ValueError(pw + type + " takes a list, got " + value.dump());
      p.kind = Predicate::Kind::Set;
      p.set_regex = regex;
      p.set_fuzzy = fuzzy.has_value();
      p.fuzzy = fuzzy.value_or(-1);
      for (const Json& v : value) {
        if (!v.is_string() && !v.is_number_integer())
          throw ValueError(pw + type + " takes a list of strings or integers, got " + value.dump());
        if (regex) {
          if (!v.is_string()) throw ValueError(pw + "REGEX patterns must be strings, got " + v.dump());
          try {
            p.regexes.push_back(std::make_shared<PyRegex>(v.get<std::string>()));
          } catch (const ValueError& e) {
            throw ValueError(pw + e.what());
          }
        } else if (fuzzy) {
          if (!v.is_string()) throw ValueError(pw + "FUZZY values must be strings, got " + v.dump());
          p.strings.push_back(v.get<std::string>());
          vocab->strings().add(v.get<std::string>());
        } else if (!is_ext && attr == attrs::MORPH && v.is_string()) {
          p.ids.insert(vocab->strings().add(morphology::normalize_features(v.get<std::string>())));
        } else if (v.is_string()) {
          p.ids.insert(string_id(v.get<std::string>()));
        } else {
          p.ids.insert(v.is_number_unsigned() ? v.get<uint64_t>() : uint64_t(v.get<int64_t>()));
        }
      }
    } else if (cmp_ops.count(it.key())) {
      if (!value.is_number()) throw ValueError(pw + it.key() + " takes a number, got " + value.dump());
      p.kind = Predicate::Kind::Compare;
      p.op = it.key();
      p.number = value.get<double>();
    } else {
      throw ValueError(pw + "unknown predicate '" + it.key() +
                       "' (spaCy's are REGEX, IN, NOT_IN, IS_SUBSET, IS_SUPERSET, INTERSECTS, "
                       "FUZZY, FUZZY1-FUZZY9, ==, !=, >=, <=, >, <)");
    }
    // spaCy's _predicate_cache_key: equal predicates are evaluated once per token.
    Json sorted_value = value;
    const std::string cache_key = (is_ext ? "_:" + ext_name : std::to_string(attr)) + "|" +
                                  (regex ? "r" : "") + "|" + std::to_string(fuzzy.value_or(-2)) +
                                  "|" + p.op + "|" + nlohmann::json(sorted_value).dump();
    auto found = predicate_keys.find(cache_key);
    if (found != predicate_keys.end()) {
      out.push_back(found->second);
      continue;
    }
    const uint32_t index = uint32_t(predicates.size());
    predicates.push_back(std::move(p));
    predicate_keys.emplace(cache_key, index);
    out.push_back(index);
  }
}

std::vector<SpecNode> Matcher::Impl::compile(const Json& pattern, const std::string& key,
                                             size_t index) {
  std::vector<SpecNode> nodes;
  for (size_t t = 0; t < pattern.size(); ++t) {
    const Json& spec = pattern[t];
    const std::string w_token = where(key, index, t, "");
    auto at = [&](const std::string& spec_key) { return where(key, index, t, spec_key); };
    if (!spec.is_object()) throw ValueError(w_token + kE154);
    SpecNode node;
    node.token_idx = int32_t(t);
    if (!spec.empty()) {
      for (auto it = spec.begin(); it != spec.end(); ++it) {
        const std::string w = where(key, index, t, it.key());
        const std::string up = matcher::upper_ascii(it.key());
        if (up == "OP") continue;
        const Json& value = it.value();
        if (it.key() == "_") {
          if (!value.is_object()) throw ValueError(w + kE154);
          for (auto e = value.begin(); e != value.end(); ++e) {
            const std::string ew = where(key, index, t, "_ -> " + e.key());
            if (e.value().is_object()) {
              add_predicates(true, 0, e.key(), e.value(), false, std::nullopt, node.predicates, at,
                             "_ -> " + e.key());
              continue;
            }
            if (e.value().is_string()) vocab->strings().add(e.value().get<std::string>());
            std::optional<uint64_t> k = matcher::exact_key(matcher::ext_value_from_json(e.value()));
            if (!k)
              throw ValueError(ew + "[E153] The value type " + std::string(e.value().type_name()) +
                               " is not supported for token patterns (use a string, number or "
                               "boolean, or a dict of predicates)");
            node.exts.emplace_back(extension(e.key()), *k);
          }
          continue;
        }
        const uint64_t attr = resolve_attr(it.key(), w);
        if (value.is_object()) {
          add_predicates(false, attr, "", value, false, std::nullopt, node.predicates, at, it.key());
          continue;
        }
        node.attrs.emplace_back(column(attr), exact_value(attr, value, w));
        seen_attrs.insert(attr);
      }
    }
    for (Quantifier q : operators(spec, where(key, index, t, "OP"))) {
      node.quantifier = q;
      nodes.push_back(node);
    }
  }
  return nodes;
}

void Matcher::Impl::rebuild_index() {
  index.assign(columns.size(), {});
  index_columns.clear();
  always.clear();
  std::vector<char> used(columns.size(), 0);
  for (uint32_t p = 0; p < patterns.size(); ++p) {
    const std::vector<SpecNode>& nodes = patterns[p].nodes;
    if (!nodes.empty() && nodes[0].quantifier == ONE && !nodes[0].attrs.empty()) {
      const auto& [col, value] = nodes[0].attrs[0];
      index[col][value].push_back(p);
      if (!used[col]) index_columns.push_back(col);
      used[col] = 1;
    } else {
      always.push_back(p);
    }
  }
  index_dirty = false;
}

// --------------------------------------------------------------------------- matching

namespace {

// The values the patterns look at, for the tokens [offset, offset + length) of a Doc.
struct CallData {
  const Doc* doc = nullptr;
  size_t offset = 0, length = 0;
  std::vector<std::vector<uint64_t>> columns;   // [column][token]
  std::vector<std::vector<ExtValue>> ext_values;  // [extension][token]
  std::vector<std::vector<std::optional<uint64_t>>> ext_keys;
  std::vector<int8_t> predicate_cache;  // [token * n + predicate]: 0 unknown, 1 true, -1 false
  size_t n_predicates = 0;
};

std::string attr_text(const CallData& d, uint64_t attr, uint64_t value) {
  if (is_string_attr(attr)) {
    const StringStore& ss = d.doc->vocab().strings();
    return ss.contains(value) ? ss[value] : std::string();
  }
  if (attr == attrs::HEAD || (attr == attrs::SENT_START && value > 1)) return std::to_string(int64_t(value));
  return std::to_string(value);
}

bool compare(const std::string& op, double v, double target) {
  if (op == "==") return v == target;
  if (op == "!=") return v != target;
  if (op == ">=") return v >= target;
  if (op == "<=") return v <= target;
  if (op == ">") return v > target;
  return v < target;
}

bool eval_set(const Predicate& p, const CallData& d, const std::unordered_set<uint64_t>& token_set) {
  if (p.op == "IS_SUBSET") {
    for (uint64_t v : token_set)
      if (!p.ids.count(v)) return false;
    return true;
  }
  if (p.op == "IS_SUPERSET") {
    for (uint64_t v : p.ids)
      if (!token_set.count(v)) return false;
    return true;
  }
  for (uint64_t v : token_set)  // INTERSECTS
    if (p.ids.count(v)) return true;
  return false;
}

bool eval_in(const Predicate& p, const std::string* text, uint64_t id, const FuzzyCompare& fuzzy_compare) {
  bool any;
  if (p.set_regex) {
    any = std::any_of(p.regexes.begin(), p.regexes.end(), [&](const auto& r) { return r->search(*text); });
  } else if (p.set_fuzzy) {
    any = std::any_of(p.strings.begin(), p.strings.end(),
                      [&](const std::string& s) { return fuzzy_compare(*text, s, p.fuzzy); });
  } else {
    any = p.ids.count(id) > 0;
  }
  return p.op == "IN" ? any : !any;
}

bool eval_predicate(const Predicate& p, const CallData& d, size_t i, const FuzzyCompare& fuzzy_compare) {
  if (!p.is_ext) {
    const uint64_t v = d.columns[p.column][i];
    switch (p.kind) {
      case Predicate::Kind::Regex: return p.regex->search(attr_text(d, p.attr, v));
      case Predicate::Kind::Fuzzy: {
        const std::string s = attr_text(d, p.attr, v);
        return s == p.strings[0] || fuzzy_compare(s, p.strings[0], p.fuzzy);
      }
      case Predicate::Kind::Compare: {
        const bool is_signed = p.attr == attrs::HEAD;
        return compare(p.op, is_signed ? double(int64_t(v)) : double(v), p.number);
      }
      case Predicate::Kind::Set: {
        if (p.op == "IN" || p.op == "NOT_IN") {
          std::string text;
          if (p.set_regex || p.set_fuzzy) text = attr_text(d, p.attr, v);
          return eval_in(p, &text, v, fuzzy_compare);
        }
        std::unordered_set<uint64_t> token_set;
        if (p.attr == attrs::MORPH) {
          for (const std::string& f : MorphAnalysis(attr_text(d, p.attr, v)).features())
            token_set.insert(string_id(f));
        } else {
          token_set.insert(v);
        }
        return eval_set(p, d, token_set);
      }
    }
    return false;
  }
  const ExtValue& ev = d.ext_values[p.ext][i];
  switch (p.kind) {
    case Predicate::Kind::Regex:
      return ev.kind == ExtValue::Kind::String && p.regex->search(ev.s);
    case Predicate::Kind::Fuzzy:
      return ev.kind == ExtValue::Kind::String &&
             (ev.s == p.strings[0] || fuzzy_compare(ev.s, p.strings[0], p.fuzzy));
    case Predicate::Kind::Compare:
      if (ev.kind == ExtValue::Kind::Int) return compare(p.op, double(ev.i), p.number);
      if (ev.kind == ExtValue::Kind::Float) return compare(p.op, ev.f, p.number);
      return false;
    case Predicate::Kind::Set: {
      if (p.op == "IN" || p.op == "NOT_IN") {
        std::optional<uint64_t> id = matcher::string_id_of(ev);
        if (!id) return false;  // spaCy: a value that is no string or integer matches neither
        std::string text = ev.kind == ExtValue::Kind::String ? ev.s : std::to_string(ev.i);
        return eval_in(p, &text, *id, fuzzy_compare);
      }
      std::unordered_set<uint64_t> token_set;
      if (std::optional<uint64_t> id = matcher::string_id_of(ev)) {
        token_set.insert(*id);
      } else if (ev.kind == ExtValue::Kind::List) {
        for (const ExtValue& item : ev.items) {
          std::optional<uint64_t> item_id = matcher::string_id_of(item);
          if (!item_id) return false;
          token_set.insert(*item_id);
        }
      } else {
        return false;
      }
      return eval_set(p, d, token_set);
    }
  }
  return false;
}

}  // namespace

std::vector<Match> Matcher::Impl::find(Doc& doc, size_t offset, size_t length,
                                       bool with_alignments) {
  std::vector<Match> output;
  if (length == 0 || patterns.empty()) return output;
  if (index_dirty) rebuild_index();
  CallData d;
  d.doc = &doc;
  d.offset = offset;
  d.length = length;
  d.columns.assign(columns.size(), std::vector<uint64_t>(length));
  if (!columns.empty()) {
    const auto& tokens = doc.tokens();
    for (size_t i = 0; i < length; ++i) {
      const TokenData& t = tokens[offset + i];
      const Lexeme& lex = doc.token(offset + i).lex();
      for (size_t c = 0; c < columns.size(); ++c)
        d.columns[c][i] = matcher::matcher_token_attr(doc, t, lex, columns[c]);
      // spaCy's Doc always marks its first token as a sentence start.
      if (offset + i == 0)
        for (size_t c = 0; c < columns.size(); ++c)
          if (columns[c] == attrs::SENT_START) d.columns[c][i] = 1;
    }
  }
  d.ext_values.resize(extensions.size());
  d.ext_keys.resize(extensions.size());
  for (size_t e = 0; e < extensions.size(); ++e) {
    d.ext_values[e].reserve(length);
    for (size_t i = 0; i < length; ++i) {
      d.ext_values[e].push_back(matcher::ext_value_from_any(doc.token(offset + i).ext_value(extensions[e])));
      d.ext_keys[e].push_back(matcher::exact_key(d.ext_values[e].back()));
    }
  }
  d.n_predicates = predicates.size();
  d.predicate_cache.assign(length * d.n_predicates, 0);

  auto is_match = [&](const SpecNode& node, size_t i) -> bool {
    for (uint32_t p : node.predicates) {
      int8_t& cached = d.predicate_cache[i * d.n_predicates + p];
      if (cached == 0) cached = eval_predicate(predicates[p], d, i, fuzzy_compare) ? 1 : -1;
      if (cached == -1) return false;
    }
    for (const auto& [col, value] : node.attrs)
      if (d.columns[col][i] != value) return false;
    for (const auto& [ext, value] : node.exts) {
      const std::optional<uint64_t>& k = d.ext_keys[ext][i];
      if (!k || *k != value) return false;
    }
    return true;
  };
  // spaCy's get_action.
  auto get_action = [&](const State& s, size_t i) -> Action {
    const std::vector<SpecNode>& nodes = patterns[s.pattern].nodes;
    const SpecNode& node = nodes[s.node];
    bool match = is_match(node, i);
    Quantifier q = node.quantifier;
    const bool is_final = s.node + 1 == nodes.size();
    if (q == ZERO) {
      match = !match;
      q = ONE;
    }
    if (q == ONE) return match ? (is_final ? MATCH : ADVANCE) : REJECT;
    if (q == ZERO_PLUS) {
      if (match) return is_final ? MATCH_EXTEND : RETRY_EXTEND;
      return is_final ? MATCH_REJECT : RETRY;
    }
    if (match) return is_final ? MATCH_DOUBLE : RETRY_ADVANCE;  // ZERO_ONE
    return is_final ? MATCH_REJECT : RETRY;
  };

  std::vector<State> states, new_states;
  std::vector<Alignment> align_states, align_new_states, align_matches;
  std::vector<RawMatch> matches;
  std::vector<uint32_t> candidates;
  auto push_match = [&](const State& s, int32_t len, const Alignment* align) {
    matches.push_back({patterns[s.pattern].key, s.start, len});
    if (with_alignments) align_matches.push_back(*align);
  };

  for (size_t i = 0; i < length; ++i) {
    // Start every pattern that can match here, in pattern order.
    candidates.assign(always.begin(), always.end());
    size_t sources = always.empty() ? 0 : 1;
    for (uint32_t col : index_columns) {
      auto it = index[col].find(d.columns[col][i]);
      if (it == index[col].end()) continue;
      candidates.insert(candidates.end(), it->second.begin(), it->second.end());
      ++sources;
    }
    if (sources > 1) std::sort(candidates.begin(), candidates.end());
    for (uint32_t p : candidates) states.push_back({p, 0, int32_t(i), 0});
    if (with_alignments) align_states.resize(states.size());

    // spaCy's transition_states.
    size_t q = 0;
    new_states.clear();
    align_new_states.clear();
    for (size_t k = 0; k < states.size(); ++k) {
      Action action = get_action(states[k], i);
      if (action == REJECT) continue;
      const State state = states[k];
      states[q] = state;
      if (with_alignments && q != k) align_states[q] = align_states[k];
      while (action == RETRY || action == RETRY_ADVANCE || action == RETRY_EXTEND) {
        const SpecNode& node = patterns[states[q].pattern].nodes[states[q].node];
        if (with_alignments) align_states[q].emplace_back(node.token_idx, states[q].length);
        if (action == RETRY_EXTEND) {
          new_states.push_back({states[q].pattern, states[q].node, state.start, state.length + 1});
          if (with_alignments) align_new_states.push_back(align_states[q]);
        }
        if (action == RETRY_ADVANCE) {
          new_states.push_back({states[q].pattern, states[q].node + 1, state.start, state.length + 1});
          if (with_alignments) align_new_states.push_back(align_states[q]);
        }
        states[q].node += 1;
        action = get_action(states[q], i);
      }
      if (with_alignments)
        align_states[q].emplace_back(patterns[states[q].pattern].nodes[states[q].node].token_idx,
                                     states[q].length);
      const Alignment* align = with_alignments ? &align_states[q] : nullptr;
      switch (action) {
        case REJECT: break;
        case ADVANCE:
          states[q].node += 1;
          states[q].length += 1;
          ++q;
          break;
        case MATCH: push_match(state, state.length + 1, align); break;
        case MATCH_DOUBLE:
          if (state.length > 0) push_match(state, state.length, align);
          push_match(state, state.length + 1, align);
          break;
        case MATCH_REJECT: push_match(state, state.length, align); break;
        case MATCH_EXTEND:
          push_match(state, state.length, align);
          states[q].length += 1;
          ++q;
          break;
        default: break;
      }
    }
    states.resize(q);
    states.insert(states.end(), new_states.begin(), new_states.end());
    if (with_alignments) {
      align_states.resize(q);
      align_states.insert(align_states.end(), align_new_states.begin(), align_new_states.end());
    }
  }
  // spaCy's finish_states: matches that end in zero-width patterns.
  for (size_t k = 0; k < states.size(); ++k) {
    State state = states[k];
    Alignment align;
    if (with_alignments) align = align_states[k];
    const std::vector<SpecNode>& nodes = patterns[state.pattern].nodes;
    while (nodes[state.node].quantifier == ZERO_PLUS || nodes[state.node].quantifier == ZERO_ONE) {
      if (with_alignments) align.emplace_back(nodes[state.node].token_idx, state.length);
      if (state.node + 1 == nodes.size()) {
        push_match(state, state.length, &align);
        break;
      }
      state.node += 1;
    }
  }
  // Deduplicate (the same match can be reached along two paths) and drop empty matches.
  std::set<std::tuple<hash_t, int32_t, int32_t>> seen;
  for (size_t k = 0; k < matches.size(); ++k) {
    const RawMatch& m = matches[k];
    if (m.length <= 0 || !seen.insert({m.key, m.start, m.start + m.length}).second) continue;
    Match out{m.key, size_t(m.start), size_t(m.start + m.length), {}};
    if (with_alignments) {
      // spaCy keeps, per position, the pattern token of the longest path (sorted by length,
      // then token index).
      Alignment sorted = align_matches[k];
      std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second < b.second : a.first < b.first;
      });
      out.alignments.assign(size_t(m.length), 0);
      for (const auto& [token_idx, len] : sorted)
        if (len < m.length) out.alignments[size_t(len)] = token_idx;
    }
    output.push_back(std::move(out));
  }
  return output;
}

// ----------------------------------------------------------------------------- Matcher

Matcher::Matcher(std::shared_ptr<Vocab> vocab, bool validate, FuzzyCompare fuzzy_compare)
    : impl_(std::make_unique<Impl>()) {
  if (!vocab) throw ValueError("Matcher needs a Vocab (got a null pointer)");
  impl_->vocab = std::move(vocab);
  impl_->validate = validate;
  impl_->fuzzy_compare = fuzzy_compare ? std::move(fuzzy_compare) : FuzzyCompare(levenshtein_compare);
}
Matcher::~Matcher() = default;
Matcher::Matcher(Matcher&&) noexcept = default;
Matcher& Matcher::operator=(Matcher&&) noexcept = default;

bool Matcher::validate() const { return impl_->validate; }
Vocab& Matcher::vocab() const { return *impl_->vocab; }
size_t Matcher::size() const { return impl_->rules.size(); }
bool Matcher::contains(const std::string& key) const {
  return impl_->rules.count(string_id(key)) > 0;
}
std::optional<Json> Matcher::get(const std::string& key) const {
  auto it = impl_->rules.find(string_id(key));
  if (it == impl_->rules.end()) return std::nullopt;
  return it->second.patterns;
}

void Matcher::add(const std::string& key, const Json& patterns, OnMatch on_match,
                  const std::string& greedy) {
  if (!patterns.is_array())
    throw ValueError("Matcher rule '" + key + "': [E948] `Matcher.add` received invalid "
                     "'patterns' argument: expected a list, but got: " + std::string(patterns.type_name()));
  if (!greedy.empty() && greedy != "FIRST" && greedy != "LONGEST")
    throw ValueError("Matcher rule '" + key + "': [E947] `Matcher.add` received invalid 'greedy' "
                     "argument: expected one of ['FIRST', 'LONGEST'], but got: " + greedy);
  std::map<size_t, std::vector<std::string>> errors;
  for (size_t i = 0; i < patterns.size(); ++i) {
    const Json& pattern = patterns[i];
    if ((pattern.is_array() || pattern.is_object() || pattern.is_string()) && pattern.empty())
      throw ValueError("Matcher rule '" + key + "', pattern " + std::to_string(i) +
                       ": [E012] Cannot add pattern for zero tokens to matcher.\nKey: " + key);
    if (!pattern.is_array())
      throw ValueError("Matcher rule '" + key + "', pattern " + std::to_string(i) +
                       ": [E178] Each pattern should be a list of dicts, but got: " + pattern.dump() +
                       ". Maybe you accidentally passed a single pattern to Matcher.add instead "
                       "of a list of patterns? If you only want to add one pattern, make sure to "
                       "wrap it in a list. For example: `matcher.add('" + key + "', [pattern])`");
    if (impl_->validate) {
      std::vector<std::string> problems = validate_token_pattern(pattern);
      if (!problems.empty()) errors[i] = std::move(problems);
    }
  }
  if (!errors.empty()) throw MatchPatternError(key, std::move(errors));
  // Compile every pattern before keeping any, so a bad pattern leaves the matcher unchanged.
  const hash_t id = impl_->vocab->strings().add(key);
  std::vector<CompiledPattern> compiled;
  for (size_t i = 0; i < patterns.size(); ++i)
    compiled.push_back({id, impl_->compile(patterns[i], key, i)});
  for (auto& c : compiled) impl_->patterns.push_back(std::move(c));
  auto it = impl_->rules.find(id);
  if (it == impl_->rules.end()) {
    it = impl_->rules.emplace(id, Rule{}).first;
    impl_->key_order.emplace_back(id, key);
  }
  for (const Json& p : patterns) it->second.patterns.push_back(p);
  it->second.on_match = std::move(on_match);
  it->second.greedy = greedy;
  impl_->index_dirty = true;
}

void Matcher::remove(const std::string& key) {
  const hash_t id = string_id(key);
  if (!impl_->rules.erase(id))
    throw ValueError("[E175] Can't remove rule for unknown match pattern ID: " + key);
  auto& order = impl_->key_order;
  order.erase(std::remove_if(order.begin(), order.end(), [&](const auto& kv) { return kv.first == id; }),
              order.end());
  auto& pats = impl_->patterns;
  pats.erase(std::remove_if(pats.begin(), pats.end(), [&](const CompiledPattern& p) { return p.key == id; }),
             pats.end());
  impl_->index_dirty = true;
}

namespace {

std::vector<Match> finish(Matcher& self, std::vector<Match> matches, Doc& doc, size_t length,
                          const std::unordered_map<hash_t, Rule>& rules, bool with_alignments) {
  // Greedy rules keep non-overlapping matches (FIRST: by start, LONGEST: by length); they come
  // after the unfiltered matches, rule by rule in order of their first match (spaCy's dict).
  std::vector<Match> final_matches;
  std::vector<hash_t> greedy_order;
  std::unordered_map<hash_t, std::vector<Match>> pairs;
  for (Match& m : matches) {
    auto r = rules.find(m.id);
    if (r != rules.end() && !r->second.greedy.empty()) {
      if (!pairs.count(m.id)) greedy_order.push_back(m.id);
      pairs[m.id].push_back(std::move(m));
    } else {
      final_matches.push_back(std::move(m));
    }
  }
  for (hash_t id : greedy_order) {
    std::vector<Match>& list = pairs[id];
    if (rules.at(id).greedy == "FIRST") {
      std::stable_sort(list.begin(), list.end(), [](const Match& a, const Match& b) {
        return a.start != b.start ? a.start < b.start : a.end > b.end;
      });
    } else {
      std::stable_sort(list.begin(), list.end(), [](const Match& a, const Match& b) {
        const size_t la = a.end - a.start, lb = b.end - b.start;
        return la != lb ? la > lb : a.start < b.start;
      });
    }
    std::vector<char> taken(length, 0);
    for (Match& m : list) {
      if (std::any_of(taken.begin() + long(m.start), taken.begin() + long(m.end), [](char c) { return c; }))
        continue;
      std::fill(taken.begin() + long(m.start), taken.begin() + long(m.end), 1);
      final_matches.push_back(std::move(m));
    }
  }
  if (!with_alignments)
    for (Match& m : final_matches) m.alignments.clear();
  for (size_t i = 0; i < final_matches.size(); ++i) {
    auto r = rules.find(final_matches[i].id);
    if (r != rules.end() && r->second.on_match) r->second.on_match(self, doc, i, final_matches);
  }
  return final_matches;
}

void check_annotation(const Doc& doc, const std::set<uint64_t>& seen) {
  for (uint64_t attr : {attrs::TAG, attrs::POS, attrs::MORPH, attrs::LEMMA, attrs::DEP})
    if (seen.count(attr)) matcher::require_annotation(doc, attr);
}

}  // namespace

std::vector<Match> Matcher::operator()(Doc& doc, const Options& options) {
  if (!options.allow_missing) check_annotation(doc, impl_->seen_attrs);
  auto found = impl_->find(doc, 0, doc.size(), options.with_alignments);
  return finish(*this, std::move(found), doc, doc.size(), impl_->rules, options.with_alignments);
}

std::vector<Match> Matcher::operator()(const Span& span, const Options& options) {
  Doc& doc = span.doc();
  if (!options.allow_missing) check_annotation(doc, impl_->seen_attrs);
  auto found = impl_->find(doc, span.start(), span.size(), options.with_alignments);
  return finish(*this, std::move(found), doc, span.size(), impl_->rules, options.with_alignments);
}

std::vector<Span> Matcher::match_spans(Doc& doc, const Options& options) {
  Options o = options;
  o.with_alignments = false;  // spaCy ignores with_alignments for as_spans
  std::vector<Span> out;
  for (const Match& m : (*this)(doc, o)) out.emplace_back(&doc, m.start, m.end, m.id);
  return out;
}

std::vector<Span> Matcher::match_spans(const Span& span, const Options& options) {
  Options o = options;
  o.with_alignments = false;
  std::vector<Span> out;
  for (const Match& m : (*this)(span, o))
    out.emplace_back(&span.doc(), span.start() + m.start, span.start() + m.end, m.id);
  return out;
}

std::vector<Span> filter_spans(const std::vector<Span>& spans) {
  std::vector<Span> sorted = spans;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Span& a, const Span& b) {
    return a.size() != b.size() ? a.size() > b.size() : a.start() < b.start();
  });
  std::vector<Span> result;
  std::unordered_set<size_t> seen;
  for (const Span& s : sorted) {
    if (s.size() == 0) continue;
    // spaCy checks the boundaries only (inclusive end).
    if (seen.count(s.start()) || seen.count(s.end() - 1)) continue;
    result.push_back(s);
    for (size_t i = s.start(); i < s.end(); ++i) seen.insert(i);
  }
  std::stable_sort(result.begin(), result.end(),
                   [](const Span& a, const Span& b) { return a.start() < b.start(); });
  return result;
}

}  // namespace trfpipe
