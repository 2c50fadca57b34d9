// spaCy's token attributes by ID (spacy/attrs.pyx, tokens/doc.pyx get_token_attr,
// tokens/_retokenize.pyx normalize_token_attrs / set_token_attrs).
#include "trfpipe/attrs.hpp"

#include <cctype>
#include <unordered_map>

#include "trfpipe/morphology.hpp"
#include "trfpipe/doc.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe {

namespace {

using Json = nlohmann::ordered_json;

struct AttrTable {
  std::unordered_map<std::string, uint64_t> ids;
  std::unordered_map<uint64_t, std::string> names;
};

const AttrTable& attr_table() {
  static const AttrTable table = [] {
    AttrTable t;
    const std::pair<const char*, uint64_t> named[] = {
        {"IS_ALPHA", attrs::IS_ALPHA}, {"IS_ASCII", attrs::IS_ASCII},
        {"IS_DIGIT", attrs::IS_DIGIT}, {"IS_LOWER", attrs::IS_LOWER},
        {"IS_PUNCT", attrs::IS_PUNCT}, {"IS_SPACE", attrs::IS_SPACE},
        {"IS_TITLE", attrs::IS_TITLE}, {"IS_UPPER", attrs::IS_UPPER},
        {"LIKE_URL", attrs::LIKE_URL}, {"LIKE_NUM", attrs::LIKE_NUM},
        {"LIKE_EMAIL", attrs::LIKE_EMAIL}, {"IS_STOP", attrs::IS_STOP},
        {"IS_OOV_DEPRECATED", attrs::IS_OOV_DEPRECATED}, {"IS_BRACKET", attrs::IS_BRACKET},
        {"IS_QUOTE", attrs::IS_QUOTE}, {"IS_LEFT_PUNCT", attrs::IS_LEFT_PUNCT},
        {"IS_RIGHT_PUNCT", attrs::IS_RIGHT_PUNCT}, {"IS_CURRENCY", attrs::IS_CURRENCY},
        {"ID", attrs::ID}, {"ORTH", attrs::ORTH}, {"LOWER", attrs::LOWER}, {"NORM", attrs::NORM},
        {"SHAPE", attrs::SHAPE}, {"PREFIX", attrs::PREFIX}, {"SUFFIX", attrs::SUFFIX},
        {"LENGTH", attrs::LENGTH}, {"LEMMA", attrs::LEMMA}, {"POS", attrs::POS},
        {"TAG", attrs::TAG}, {"DEP", attrs::DEP}, {"ENT_IOB", attrs::ENT_IOB},
        {"ENT_TYPE", attrs::ENT_TYPE}, {"ENT_ID", attrs::ENT_ID},
        {"ENT_KB_ID", attrs::ENT_KB_ID}, {"HEAD", attrs::HEAD},
        {"SENT_START", attrs::SENT_START}, {"SPACY", attrs::SPACY}, {"LANG", attrs::LANG},
        {"MORPH", attrs::MORPH}, {"IDX", attrs::IDX}};
    for (const auto& [name, id] : named) {
      t.ids.emplace(name, id);
      t.names.emplace(id, name);
    }
    for (uint64_t f = 19; f <= 63; ++f) {
      std::string name = "FLAG" + std::to_string(f);
      t.ids.emplace(name, f);
      t.names.emplace(f, name);
    }
    return t;
  }();
  return table;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

uint64_t flag(const Lexeme& lex, LexFlag f) { return lex.has(f) ? 1 : 0; }

// spaCy's _validate_extensions: the extension exists (E118) and is writable (E119).
void check_writable_extension(const std::string& name) {
  if (!Doc::has_token_extension(name))
    throw ValueError("[E118] Can't assign a value to unregistered extension attribute '" + name +
                     "'. Did you forget to call the `set_extension` method?");
  if (Doc::has_token_getter(name))
    throw ValueError("[E119] Can't set custom extension attribute '" + name +
                     "' because it's not writable. This usually means it was registered with "
                     "a getter function (and no setter), so the value is computed dynamically.");
}

// A JSON value as the C++ type of `like` (the extension's current value or default) where that
// is a bool, number or string; else the JSON itself.
std::any json_like(const Json& v, const std::any& like) {
  if (v.is_boolean() && like.type() == typeid(bool)) return v.get<bool>();
  if (v.is_number()) {
    if (like.type() == typeid(int)) return v.get<int>();
    if (like.type() == typeid(int64_t)) return v.get<int64_t>();
    if (like.type() == typeid(double)) return v.get<double>();
    if (like.type() == typeid(float)) return v.get<float>();
  }
  if (v.is_string() && (like.type() == typeid(std::string) || !like.has_value() ||
                        like.type() == typeid(const char*)))
    return v.get<std::string>();
  if (v.is_boolean() && !like.has_value()) return v.get<bool>();
  if (v.is_number_integer() && !like.has_value()) return v.get<int64_t>();
  if (v.is_number_float() && !like.has_value()) return v.get<double>();
  return v;
}

}  // namespace

std::optional<uint64_t> attr_id(std::string_view name) {
  const auto& ids = attr_table().ids;
  auto it = ids.find(std::string(name));
  if (it == ids.end()) it = ids.find(upper(name));
  if (it == ids.end()) return std::nullopt;
  return it->second;
}

std::string attr_name(uint64_t id) {
  const auto& names = attr_table().names;
  auto it = names.find(id);
  return it == names.end() ? "attribute " + std::to_string(id) : it->second;
}

bool is_string_attr(uint64_t id) {
  switch (id) {
    case attrs::ORTH: case attrs::LOWER: case attrs::NORM: case attrs::SHAPE:
    case attrs::PREFIX: case attrs::SUFFIX: case attrs::LEMMA: case attrs::POS:
    case attrs::TAG: case attrs::DEP: case attrs::ENT_TYPE: case attrs::ENT_ID:
    case attrs::ENT_KB_ID: case attrs::MORPH: case attrs::LANG:
      return true;
    default:
      return false;
  }
}

uint64_t token_attr(const Doc& doc, const TokenData& t, const Lexeme& lex, uint64_t id) {
  switch (id) {
    case attrs::NULL_ATTR: return 0;
    case attrs::IS_ALPHA: return flag(lex, IS_ALPHA);
    case attrs::IS_ASCII: return flag(lex, IS_ASCII);
    case attrs::IS_DIGIT: return flag(lex, IS_DIGIT);
    case attrs::IS_LOWER: return flag(lex, IS_LOWER);
    case attrs::IS_PUNCT: return flag(lex, IS_PUNCT);
    case attrs::IS_SPACE: return flag(lex, IS_SPACE);
    case attrs::IS_TITLE: return flag(lex, IS_TITLE);
    case attrs::IS_UPPER: return flag(lex, IS_UPPER);
    case attrs::LIKE_URL: return flag(lex, LIKE_URL);
    case attrs::LIKE_NUM: return flag(lex, LIKE_NUM);
    case attrs::LIKE_EMAIL: return flag(lex, LIKE_EMAIL);
    case attrs::IS_STOP: return flag(lex, IS_STOP);
    case attrs::IS_BRACKET: return flag(lex, IS_BRACKET);
    case attrs::IS_QUOTE: return flag(lex, IS_QUOTE);
    case attrs::IS_LEFT_PUNCT: return flag(lex, IS_LEFT_PUNCT);
    case attrs::IS_RIGHT_PUNCT: return flag(lex, IS_RIGHT_PUNCT);
    case attrs::IS_CURRENCY: return flag(lex, IS_CURRENCY);
    case attrs::ORTH: return t.orth;
    case attrs::LOWER: return lex.lower;
    case attrs::NORM: return t.norm ? t.norm : lex.norm;
    case attrs::SHAPE: return lex.shape;
    case attrs::PREFIX: return lex.prefix;
    case attrs::SUFFIX: return lex.suffix;
    case attrs::LENGTH: return t.len_chars;
    case attrs::LEMMA: return t.lemma;
    case attrs::POS: return t.pos;
    case attrs::TAG: return t.tag;
    case attrs::DEP: return t.dep;
    case attrs::ENT_IOB: return t.ent_iob;
    case attrs::ENT_TYPE: return t.ent_type;
    case attrs::ENT_ID: return t.ent_id;
    case attrs::ENT_KB_ID: return t.ent_kb_id;
    case attrs::HEAD: return uint64_t(int64_t(t.head));
    case attrs::SENT_START: return uint64_t(int64_t(t.sent_start));
    case attrs::SPACY: return t.space ? 1 : 0;
    case attrs::MORPH: return t.morph;
    case attrs::IDX: return t.idx_chars;
    case attrs::LANG: return string_id(doc.vocab().lang());
    default:
      if (id == attrs::IS_OOV_DEPRECATED || id == attrs::ID || id == attrs::CLUSTER ||
          id == attrs::PROB || (id >= 19 && id <= 63))
        return 0;
      throw ValueError("[E152] " + attr_name(id) + " is not a token attribute");
  }
}

uint64_t token_attr(const Doc& doc, size_t i, uint64_t id) {
  Token t = doc.token(i);
  return token_attr(doc, t.data(), t.lex(), id);
}

TokenAttrValues normalize_token_attrs(Vocab& vocab, const Json& attrs_json) {
  if (!attrs_json.is_object())
    throw ValueError("token attributes must be a dict such as {\"TAG\": \"NNP\"}, got " +
                     attrs_json.dump());
  TokenAttrValues out;
  for (auto it = attrs_json.begin(); it != attrs_json.end(); ++it) {
    const std::string& key = it.key();
    const Json& v = it.value();
    if (key == "_") {
      if (!v.is_object())
        throw ValueError("[E120] Can't set custom extension attributes during retokenization. "
                         "Expected dict mapping attribute names to values, but got: " +
                         v.dump());
      for (auto e = v.begin(); e != v.end(); ++e) check_writable_extension(e.key());
      out.underscore = v;
      continue;
    }
    std::optional<uint64_t> id = attr_id(key);
    if (!id)
      throw ValueError("unknown token attribute '" + key +
                       "' (expected one of spaCy's attributes: LEMMA, NORM, POS, TAG, MORPH, "
                       "DEP, ENT_TYPE, ENT_IOB, ENT_ID, ENT_KB_ID, SENT_START or \"_\")");
    uint64_t value = 0;
    switch (*id) {
      case attrs::LEMMA: case attrs::NORM: case attrs::POS: case attrs::TAG: case attrs::DEP:
      case attrs::ENT_TYPE: case attrs::ENT_ID: case attrs::ENT_KB_ID: case attrs::MORPH:
        if (v.is_string()) {
          value = *id == attrs::MORPH ? vocab.strings().add(morphology::normalize_features(v.get<std::string>()))
                                      : vocab.strings().add(v.get<std::string>());
        } else if (v.is_number_unsigned() || (v.is_number_integer() && v.get<int64_t>() >= 0)) {
          value = v.get<uint64_t>();  // a StringStore ID, as spaCy accepts
        } else {
          throw ValueError("token attribute '" + key + "': expected a string, got " + v.dump());
        }
        break;
      case attrs::ENT_IOB:
        if (v.is_string()) {
          static const char* iob[] = {"", "I", "O", "B"};
          bool found = false;
          for (uint64_t k = 0; k < 4; ++k)
            if (v.get<std::string>() == iob[k]) value = k, found = true;
          if (!found)
            throw ValueError("[E1025] Cannot intify the value '" + v.get<std::string>() +
                             "' as an IOB string. The only supported values are: 'I', 'O', 'B' "
                             "and ''");
        } else if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() <= 3) {
          value = v.get<uint64_t>();
        } else {
          throw ValueError("token attribute 'ENT_IOB': expected \"\", \"I\", \"O\", \"B\" or 0-3, "
                           "got " + v.dump());
        }
        break;
      case attrs::SENT_START:
        if (v.is_boolean()) {
          value = v.get<bool>() ? 1 : uint64_t(int64_t(-1));
        } else if (v.is_number_integer() && v.get<int64_t>() >= -1 && v.get<int64_t>() <= 1) {
          value = uint64_t(v.get<int64_t>());
        } else {
          throw ValueError("token attribute 'SENT_START': expected true/false or -1, 0, 1, got " +
                           v.dump());
        }
        break;
      default:
        throw ValueError("token attribute '" + key + "' cannot be set per token (" +
                         (is_string_attr(*id) || *id < 64
                              ? "it belongs to the lexeme shared by every token of that text"
                              : "the retokenizer and attribute_ruler set LEMMA, NORM, POS, TAG, "
                                "MORPH, DEP, ENT_TYPE, ENT_IOB, ENT_ID, ENT_KB_ID, SENT_START") +
                         ")");
    }
    out.values.emplace_back(*id, value);
  }
  return out;
}

void set_token_attrs(Token token, const TokenAttrValues& attrs) {
  TokenData& t = token.data();
  for (const auto& [id, value] : attrs.values) {
    switch (id) {
      case attrs::LEMMA: t.lemma = value; break;
      case attrs::NORM: t.norm = value; break;
      case attrs::POS: t.pos = value; break;
      case attrs::TAG: t.tag = value; break;
      case attrs::DEP: t.dep = value; break;
      case attrs::MORPH: t.morph = value; break;
      case attrs::ENT_TYPE: t.ent_type = value; break;
      case attrs::ENT_ID: t.ent_id = value; break;
      case attrs::ENT_KB_ID: t.ent_kb_id = value; break;
      case attrs::ENT_IOB: t.ent_iob = uint8_t(value); break;
      case attrs::SENT_START: t.sent_start = int8_t(int64_t(value)); break;
      default: throw ValueError("token attribute " + attr_name(id) + " cannot be set per token");
    }
  }
  for (auto it = attrs.underscore.begin(); it != attrs.underscore.end(); ++it) {
    check_writable_extension(it.key());
    std::any& slot = token.ext(it.key());
    slot = json_like(it.value(), slot);
  }
}

}  // namespace trfpipe
