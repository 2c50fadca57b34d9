// spaCy's token-pattern schema (spacy/schemas.py TokenPattern, TokenPatternString,
// TokenPatternNumber) and validate_token_pattern, reporting problems the way pydantic does:
// "[pattern -> <index> -> <key>] <message>", one line per location (spaCy joins the messages of
// one location with ", "). Union types are reported with one message where pydantic lists one
// per alternative, so counts can be lower than spaCy's.
#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "matcher/schema.hpp"
#include "trfpipe/attrs.hpp"
#include "trfpipe/matcher.hpp"

namespace trfpipe {

namespace matcher {

namespace {

const std::map<std::string, FieldKind>& fields() {
  static const std::map<std::string, FieldKind> table = [] {
    std::map<std::string, FieldKind> t;
    for (const char* f : {"orth", "text", "lower", "pos", "tag", "morph", "dep", "lemma", "shape",
                          "ent_type", "ent_id", "ent_kb_id", "norm"})
      t[f] = FieldKind::String;
    t["length"] = FieldKind::Number;
    for (const char* f :
         {"spacy", "is_alpha", "is_ascii", "is_digit", "is_lower", "is_upper", "is_title",
          "is_punct", "is_space", "is_bracket", "is_quote", "is_left_punct", "is_right_punct",
          "is_currency", "is_stop", "is_sent_start", "sent_start", "like_num", "like_url",
          "like_email"})
      t[f] = FieldKind::Bool;
    t["ent_iob"] = FieldKind::Iob;
    t["op"] = FieldKind::Op;
    t["underscore"] = FieldKind::Underscore;
    return t;
  }();
  return table;
}

}  // namespace

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
std::string upper_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool token_pattern_field(std::string_view key, FieldKind* kind) {
  std::string name;
  if (key == "_") {
    name = "underscore";
  } else if (key == lower_ascii(key)) {
    name = std::string(key);  // the field name
  } else if (key == upper_ascii(key)) {
    name = lower_ascii(key);  // the alias
    if (name == "underscore") return false;  // the alias of `underscore` is "_"
  } else {
    return false;
  }
  auto it = fields().find(name);
  if (it == fields().end()) return false;
  if (kind) *kind = it->second;
  return true;
}

bool is_token_pattern_field_name(std::string_view lower_name) {
  return fields().count(std::string(lower_name)) > 0;
}

bool valid_operator(std::string_view op) {
  if (op == "+" || op == "*" || op == "?" || op == "!") return true;
  // spaCy's ^({\d+}|{\d+,\d*}|{\d*,\d+})$ as a scan (std::regex recurses once per character: a
  // pattern file with a 40,000-digit operator overflowed the stack).
  if (op.size() < 3 || op.front() != '{' || op.back() != '}') return false;
  const std::string_view inner = op.substr(1, op.size() - 2);
  const size_t comma = inner.find(',');
  auto digits = [](std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (comma == std::string_view::npos) return digits(inner);  // {n}: non-empty (size >= 3)
  const std::string_view lo = inner.substr(0, comma), hi = inner.substr(comma + 1);
  return digits(lo) && digits(hi) && !(lo.empty() && hi.empty());
}

void require_annotation(const Doc& doc, uint64_t attr, const std::string& where) {
  const char* pipe = attr == attrs::TAG                          ? "tagger"
                     : attr == attrs::POS || attr == attrs::MORPH ? "morphologizer or tagger+attribute_ruler"
                     : attr == attrs::LEMMA                       ? "lemmatizer"
                     : attr == attrs::DEP                         ? "parser"
                                                                  : nullptr;
  if (!pipe || doc.has_annotation(attr_name(attr))) return;
  throw ValueError(where + "[E155] The pipeline needs to include a " + pipe +
                   " in order to use Matcher or PhraseMatcher with the attribute " +
                   attr_name(attr) + ". Try using `nlp()` instead of `nlp.make_doc()` or "
                   "`list(nlp.pipe())` instead of `list(nlp.tokenizer.pipe())`.");
}

}  // namespace matcher

namespace {

using Json = nlohmann::ordered_json;
using matcher::FieldKind;

using Problems = std::vector<std::pair<std::string, std::string>>;  // (location, message)

const char* kNone = "Value error, None / null is not allowed";

enum class PredKind { Regex, List, Fuzzy, Compare, Unknown };

// The kind of a predicate key of TokenPatternString (number = false) or TokenPatternNumber:
// the upper-case field name or the lower-case alias.
PredKind predicate_kind(const std::string& key, bool number) {
  static const std::set<std::string> lists = {"IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET",
                                              "INTERSECTS"};
  static const std::map<std::string, std::string> compare = {
      {"EQ", "=="}, {"NEQ", "!="}, {"GEQ", ">="}, {"LEQ", "<="}, {"GT", ">"}, {"LT", "<"}};
  const std::string up = matcher::upper_ascii(key);
  const bool name_or_alias = key == up || key == matcher::lower_ascii(key);
  if (name_or_alias && up == "REGEX") return PredKind::Regex;
  if (name_or_alias && lists.count(up)) return PredKind::List;
  if (!number && name_or_alias &&
      (up == "FUZZY" || (up.size() == 6 && up.compare(0, 5, "FUZZY") == 0 && up[5] >= '1' && up[5] <= '9')))
    return PredKind::Fuzzy;
  if (number) {
    if (compare.count(key)) return PredKind::Compare;  // field name, upper case only
    for (const auto& kv : compare)
      if (kv.second == key) return PredKind::Compare;
  }
  return PredKind::Unknown;
}

bool is_int(const Json& v) { return v.is_number_integer(); }  // JSON booleans are not numbers
bool is_number(const Json& v) { return v.is_number(); }

void check_predicates(const Json& d, const std::string& loc, bool number, Problems& out) {
  for (auto it = d.begin(); it != d.end(); ++it) {
    const std::string at = loc + " -> " + it.key();
    const Json& v = it.value();
    const PredKind kind = predicate_kind(it.key(), number);
    if (kind == PredKind::Unknown) {
      out.emplace_back(at, "Extra inputs are not permitted");
      continue;
    }
    if (v.is_null()) {
      out.emplace_back(at, kNone);
      continue;
    }
    switch (kind) {
      case PredKind::Regex:
      case PredKind::Fuzzy:
        if (v.is_string()) break;
        if (!number && v.is_object()) {
          check_predicates(v, at, false, out);
          break;
        }
        out.emplace_back(at, "Input should be a valid string");
        break;
      case PredKind::List:
        if (!v.is_array()) {
          out.emplace_back(at, "Input should be a valid list");
          break;
        }
        for (size_t k = 0; k < v.size(); ++k) {
          if (number ? !is_int(v[k]) : !v[k].is_string())
            out.emplace_back(at + " -> " + std::to_string(k),
                             number ? "Input should be a valid integer" : "Input should be a valid string");
        }
        break;
      case PredKind::Compare:
        if (!is_number(v)) out.emplace_back(at, "Input should be a valid number");
        break;
      case PredKind::Unknown:
        break;
    }
  }
}

void check_value(FieldKind kind, const Json& v, const std::string& at, Problems& out) {
  if (v.is_null()) {
    out.emplace_back(at, kNone);
    return;
  }
  switch (kind) {
    case FieldKind::String:
      if (v.is_string()) return;
      if (v.is_object()) return check_predicates(v, at, false, out);
      out.emplace_back(at, "Input should be a valid string or a dict of predicates (REGEX, IN, "
                           "NOT_IN, IS_SUBSET, IS_SUPERSET, INTERSECTS, FUZZY, FUZZY1-FUZZY9)");
      return;
    case FieldKind::Number:
      if (is_number(v)) return;
      if (v.is_object()) return check_predicates(v, at, true, out);
      out.emplace_back(at, "Input should be a valid number or a dict of predicates (REGEX, IN, "
                           "NOT_IN, IS_SUBSET, IS_SUPERSET, INTERSECTS, ==, !=, >=, <=, >, <)");
      return;
    case FieldKind::Bool:
      if (!v.is_boolean()) out.emplace_back(at, "Input should be a valid boolean");
      return;
    case FieldKind::Iob:
      if (v.is_string()) {
        const std::string s = v.get<std::string>();
        if (s.empty() || s == "I" || s == "O" || s == "B") return;
      } else if (is_int(v) && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 3) {
        return;
      }
      out.emplace_back(at, "Input should be '', 'I', 'O', 'B', 0, 1, 2 or 3");
      return;
    case FieldKind::Op:
      if (v.is_string() && matcher::valid_operator(v.get<std::string>())) return;
      out.emplace_back(at, "Input should be '+', '*', '?' or '!', or a string matching the "
                           "pattern '^(\\{\\d+\\}|\\{\\d+,\\d*\\}|\\{\\d*,\\d+\\})$'");
      return;
    case FieldKind::Underscore:
      if (!v.is_object()) {
        out.emplace_back(at, "Input should be a valid dictionary");
        return;
      }
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string ext_at = at + " -> " + it.key();
        const Json& ev = it.value();
        if (ev.is_string() || ev.is_number() || ev.is_boolean() || ev.is_array()) continue;
        if (ev.is_object()) {
          // Union[TokenPatternString, TokenPatternNumber, ...]: valid when either accepts it.
          Problems as_string, as_number;
          check_predicates(ev, ext_at, false, as_string);
          check_predicates(ev, ext_at, true, as_number);
          if (as_string.empty() || as_number.empty()) continue;
          out.insert(out.end(), as_string.begin(), as_string.end());
          out.insert(out.end(), as_number.begin(), as_number.end());
          continue;
        }
        out.emplace_back(ext_at, "Input should be a string, number, boolean, list or a dict of "
                                 "predicates");
      }
      return;
  }
}

}  // namespace

std::vector<std::string> validate_token_pattern(const Json& pattern) {
  Problems problems;
  if (!pattern.is_array()) {
    problems.emplace_back("pattern", "Input should be a valid list");
  } else if (pattern.empty()) {
    problems.emplace_back("pattern", "List should have at least 1 item after validation, not 0");
  } else {
    for (size_t i = 0; i < pattern.size(); ++i) {
      const std::string at = "pattern -> " + std::to_string(i);
      const Json& spec = pattern[i];
      if (!spec.is_object()) {
        problems.emplace_back(at, "Input should be a valid dictionary or instance of TokenPattern");
        continue;
      }
      for (auto it = spec.begin(); it != spec.end(); ++it) {
        FieldKind kind;
        if (!matcher::token_pattern_field(it.key(), &kind)) {
          problems.emplace_back(at + " -> " + it.key(), "Extra inputs are not permitted");
          continue;
        }
        check_value(kind, it.value(), at + " -> " + it.key(), problems);
      }
    }
  }
  // spaCy groups the messages of one location.
  std::vector<std::string> locs;
  std::map<std::string, std::string> joined;
  for (const auto& [loc, msg] : problems) {
    auto it = joined.find(loc);
    if (it == joined.end()) {
      locs.push_back(loc);
      joined[loc] = msg;
    } else {
      it->second += ", " + msg;
    }
  }
  std::vector<std::string> out;
  for (const auto& loc : locs) out.push_back("[" + loc + "] " + joined[loc]);
  return out;
}

MatchPatternError::MatchPatternError(std::string key,
                                     std::map<size_t, std::vector<std::string>> errors)
    : ValueError([&] {
        std::string msg = "Invalid token patterns for matcher rule '" + key + "'\n";
        for (const auto& [index, lines] : errors) {
          msg += "\nPattern " + std::to_string(index) + ":\n";
          for (const auto& l : lines) msg += "- " + l + "\n";
        }
        return msg;
      }()),
      key_(std::move(key)),
      errors_(std::move(errors)) {}

}  // namespace trfpipe
