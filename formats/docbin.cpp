// spaCy's DocBin (spacy/tokens/_serialize.py), byte-compatible: zlib(msgpack(msg)).
#include <algorithm>
#include <any>
#include <cstring>
#include <mutex>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "formats/data_util.hpp"
#include "formats/msgpack_lite.hpp"
#include "tokenization/rule_tokenizer.hpp"

namespace trfpipe {

namespace mp = formats::msgpack;

const std::vector<uint64_t>& docbin_all_attrs() {
  static const std::vector<uint64_t> all = {
      attrs::ORTH, attrs::NORM, attrs::LEMMA, attrs::POS, attrs::TAG,
      attrs::DEP, attrs::ENT_IOB, attrs::ENT_TYPE, attrs::HEAD, attrs::SENT_START,
      attrs::ENT_KB_ID, attrs::MORPH, attrs::ENT_ID};
  return all;
}

namespace {

constexpr const char* kUnknownSpaces = "has_unknown_spaces";

void ensure_unknown_spaces_extension() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!Doc::has_extension(kUnknownSpaces)) Doc::set_extension(kUnknownSpaces, std::any(false));
  });
}

// Attributes whose values the DocBin's string table must hold (lexical ones are recomputed).
bool is_stored_string_attr(uint64_t a) {
  switch (a) {
    case attrs::NORM: case attrs::LEMMA: case attrs::POS: case attrs::TAG: case attrs::DEP:
    case attrs::ENT_TYPE: case attrs::ENT_KB_ID: case attrs::MORPH: case attrs::ENT_ID:
      return true;
    default:
      return false;
  }
}

bool is_supported_attr(uint64_t a) {
  return a == attrs::ORTH || is_stored_string_attr(a) || a == attrs::ENT_IOB || a == attrs::HEAD ||
         a == attrs::SENT_START || a == attrs::LOWER || a == attrs::SHAPE || a == attrs::PREFIX ||
         a == attrs::SUFFIX || a == attrs::LENGTH;
}

void put_le(std::string& out, uint64_t v, int n) {
  for (int k = 0; k < n; ++k) out.push_back(char((v >> (8 * k)) & 0xff));
}
uint64_t get_le(const char* p, int n) {
  uint64_t v = 0;
  for (int k = n - 1; k >= 0; --k) v = (v << 8) | uint8_t(p[k]);
  return v;
}

// ---- span groups (spacy/tokens/span_group.pyx, _dict_proxies.py SpanGroups)

const std::string kEmptySpanGroups(1, char(0x90));  // SpanGroups._EMPTY_BYTES: msgpack []

void write_json(mp::Writer& w, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null: w.nil(); break;
    case Json::value_t::boolean: w.boolean(v.get<bool>()); break;
    case Json::value_t::number_integer: w.integer(v.get<int64_t>()); break;
    case Json::value_t::number_unsigned: w.uinteger(v.get<uint64_t>()); break;
    case Json::value_t::number_float: w.float64(v.get<double>()); break;
    case Json::value_t::string: w.str(v.get_ref<const std::string&>()); break;
    case Json::value_t::array:
      w.array_header(v.size());
      for (const auto& x : v) write_json(w, x);
      break;
    case Json::value_t::object:
      w.map_header(v.size());
      for (const auto& [k, x] : v.items()) {
        w.str(k);
        write_json(w, x);
      }
      break;
    default:
      throw ValueError("span group attrs: a JSON " + std::string(v.type_name()) +
                       " cannot be written to a DocBin");
  }
}

// Malformed span group bytes (turned into a DataError naming the doc).
struct SpanGroupsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// msgpack's str is UTF-8: srsly decodes it (raising otherwise), and a string that is not would
// fail much later, when a doc is written as JSON. `what` names the value in the error.
template <class Err = SpanGroupsError>
const std::string& utf8(const std::string& s, const std::string& what) {
  try {
    tokenization::validate_utf8(s);
  } catch (const ValueError& e) {
    throw Err(what + " is not valid UTF-8 (" + e.what() + ")");
  }
  return s;
}

Json read_json(const mp::Value& v) {
  using T = mp::Value::Type;
  switch (v.type) {
    case T::Nil: return nullptr;
    case T::Bool: return v.boolean;
    case T::Int: return v.i;
    case T::UInt: return v.u;
    case T::Float: return v.f;
    case T::Str: return utf8(v.s, "a string in attrs");
    case T::Array: {
      Json out = Json::array();
      for (const auto& x : v.array) out.push_back(read_json(x));
      return out;
    }
    case T::Map: {
      Json out = Json::object();
      for (const auto& [k, x] : v.map) {
        if (!k.is_str()) throw SpanGroupsError("an attrs key is a msgpack " + std::string(k.type_name()) + ", expected str");
        out[utf8(k.s, "an attrs key")] = read_json(x);
      }
      return out;
    }
    default:
      throw SpanGroupsError("attrs hold a msgpack " + std::string(v.type_name()) + ", which is not JSON");
  }
}

void put_be(std::string& out, uint64_t v, int n) {
  for (int k = n - 1; k >= 0; --k) out.push_back(char((v >> (8 * k)) & 0xff));
}
uint64_t get_be(const char* p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v = (v << 8) | uint8_t(p[k]);
  return v;
}
constexpr size_t kPackedSpan = 3 * 8 + 4 * 4;  // struct ">QQQllll"

// SpanGroup.to_bytes: {"name", "attrs", "spans": [pack(id, kb_id, label, start, end,
// start_char, end_char)]}.
std::string span_group_bytes(Doc& doc, const SpanGroup& g) {
  mp::Writer w;
  w.map_header(3);
  w.str("name");
  w.str(g.name);
  w.str("attrs");
  write_json(w, g.attrs);
  w.str("spans");
  w.array_header(g.spans.size());
  for (const SpanGroupEntry& e : g.spans) {
    Span span(&doc, e.start, e.end, e.label);
    std::string packed;
    for (uint64_t v : {e.id, e.kb_id, e.label}) put_be(packed, v, 8);
    for (uint64_t v : {e.start, e.end, span.start_char(), span.end_char()}) put_be(packed, v, 4);
    w.bin(packed);
  }
  return w.take();
}

// SpanGroups.to_bytes: [] when empty, else {group bytes: [keys]} (equal groups share an entry).
std::string span_groups_bytes(const Doc& doc) {
  const SpanGroups& groups = doc.spans();
  if (groups.empty()) return kEmptySpanGroups;
  std::vector<std::pair<std::string, std::vector<std::string>>> msg;
  for (const std::string& key : groups.names()) {
    std::string bytes = span_group_bytes(const_cast<Doc&>(doc), groups.group(key));
    auto it = std::find_if(msg.begin(), msg.end(), [&](const auto& kv) { return kv.first == bytes; });
    if (it == msg.end()) msg.emplace_back(std::move(bytes), std::vector<std::string>{key});
    else it->second.push_back(key);
  }
  mp::Writer w;
  w.map_header(msg.size());
  for (const auto& [bytes, keys] : msg) {
    w.bin(bytes);
    w.array_header(keys.size());
    for (const auto& k : keys) w.str(k);
  }
  return w.take();
}

SpanGroup decode_span_group(const mp::Value& bytes) {
  if (!bytes.is_bin())
    throw SpanGroupsError("a span group is a msgpack " + std::string(bytes.type_name()) + ", expected bin");
  mp::Value msg;
  try {
    msg = mp::decode(bytes.s);
  } catch (const mp::DecodeError& e) {
    throw SpanGroupsError(std::string("invalid span group msgpack: ") + e.what());
  }
  if (!msg.is_map()) throw SpanGroupsError("a span group is a msgpack " + std::string(msg.type_name()) + ", expected a map");
  const mp::Value* name = msg.find("name");
  const mp::Value* attrs = msg.find("attrs");
  const mp::Value* spans = msg.find("spans");
  if (!name || !name->is_str()) throw SpanGroupsError("a span group has no string 'name'");
  if (!attrs || !attrs->is_map()) throw SpanGroupsError("span group '" + name->s + "' has no 'attrs' map");
  if (!spans || !spans->is_array()) throw SpanGroupsError("span group '" + name->s + "' has no 'spans' list");
  SpanGroup g;
  g.name = utf8(name->s, "a span group name");
  g.attrs = read_json(*attrs);
  for (size_t i = 0; i < spans->array.size(); ++i) {
    const mp::Value& sp = spans->array[i];
    if (!sp.is_bin() || sp.s.size() != kPackedSpan)
      throw SpanGroupsError("span " + std::to_string(i) + " of span group '" + g.name + "' is not " +
                            std::to_string(kPackedSpan) + " packed bytes");
    const char* p = sp.s.data();
    const int64_t start = int32_t(uint32_t(get_be(p + 24, 4))), end = int32_t(uint32_t(get_be(p + 28, 4)));
    if (start < 0 || end < start)
      throw SpanGroupsError("span " + std::to_string(i) + " of span group '" + g.name + "' has tokens [" +
                            std::to_string(start) + ", " + std::to_string(end) + ")");
    g.spans.push_back({size_t(start), size_t(end), get_be(p + 16, 8), get_be(p + 8, 8), get_be(p, 8)});
  }
  return g;
}

// SpanGroups.from_bytes: b"", [] , the old list of group bytes, or {group bytes: [keys]}.
std::vector<std::pair<std::string, SpanGroup>> decode_span_groups(std::string_view bytes) {
  std::vector<std::pair<std::string, SpanGroup>> out;
  if (bytes.empty() || bytes == kEmptySpanGroups) return out;
  mp::Value msg;
  try {
    msg = mp::decode(bytes);
  } catch (const mp::DecodeError& e) {
    throw SpanGroupsError(std::string("invalid span_groups msgpack: ") + e.what());
  }
  auto put = [&](const std::string& key, SpanGroup g) {
    for (auto& kv : out)
      if (kv.first == key) {
        kv.second = std::move(g);
        return;
      }
    out.emplace_back(key, std::move(g));
  };
  if (msg.is_array()) {
    for (const mp::Value& v : msg.array) {
      SpanGroup g = decode_span_group(v);
      std::string key = g.name;
      put(key, std::move(g));
    }
  } else if (msg.is_map()) {
    for (const auto& [v, keys] : msg.map) {
      SpanGroup g = decode_span_group(v);
      if (!keys.is_array() || keys.array.empty())
        throw SpanGroupsError("span group '" + g.name + "' has no list of keys");
      for (const mp::Value& k : keys.array) {
        if (!k.is_str()) throw SpanGroupsError("a key of span group '" + g.name + "' is not a string");
        put(utf8(k.s, "a key of span group '" + g.name + "'"), g);
      }
    }
  } else {
    throw SpanGroupsError("span_groups is a msgpack " + std::string(msg.type_name()) + ", expected a list or map");
  }
  return out;
}

}  // namespace

bool has_unknown_spaces(const Doc& doc) {
  if (!Doc::has_extension(kUnknownSpaces) || !doc.has_ext_value(kUnknownSpaces)) return false;
  const std::any& v = const_cast<Doc&>(doc).ext(kUnknownSpaces);
  const bool* b = std::any_cast<bool>(&v);
  return b && *b;
}

void set_has_unknown_spaces(Doc& doc, bool value) {
  ensure_unknown_spaces_extension();
  doc.ext(kUnknownSpaces) = value;
}

DocBin::DocBin(const std::vector<uint64_t>& attrs, bool store_user_data)
    : store_user_data_(store_user_data) {
  std::vector<uint64_t> sorted;
  for (uint64_t a : attrs) {
    if (!is_supported_attr(a) && a != attrs::SPACY)
      throw ValueError("DocBin: unsupported attribute ID " + std::to_string(a));
    if (a != attrs::ORTH && a != attrs::SPACY) sorted.push_back(a);
  }
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  attrs_.push_back(attrs::ORTH);
  attrs_.insert(attrs_.end(), sorted.begin(), sorted.end());
}

void DocBin::add(const Doc& doc) {
  const StringStore& ss = doc.vocab().strings();
  // An ID missing from the StringStore would make a file nobody can read: ValueError here.
  auto str = [&](hash_t h) { return h == 0 ? std::string() : ss[h]; };
  const size_t n = doc.size();
  for (size_t i = 0; i < n; ++i) {
    const TokenData& td = doc.tokens()[i];
    Token tok = doc.token(i);
    for (uint64_t a : attrs_) {
      uint64_t v;
      if (a == attrs::ORTH) v = td.orth ? td.orth : string_id(tok.text());
      // spaCy's Doc always marks the first token as a sentence start.
      else if (a == attrs::SENT_START) v = uint64_t(int64_t(i == 0 && td.sent_start == 0 ? 1 : td.sent_start));
      else v = token_attr(doc, td, tok.lex(), a);
      tokens_.push_back(v);
    }
    spaces_.push_back(td.space ? 1 : 0);
    strings_.insert(std::string(tok.text()));
    strings_.insert(str(td.tag));
    strings_.insert(str(td.lemma));
    strings_.insert(tok.norm_());
    std::string morph = str(td.morph);
    strings_.insert(morph == "_" ? std::string() : morph);  // str(MorphAnalysis) of "_" is ""
    strings_.insert(str(td.dep));
    strings_.insert(str(td.ent_type));
    strings_.insert(str(td.ent_kb_id));
    strings_.insert(str(td.ent_id));
  }
  lengths_.push_back(int32_t(n));
  std::vector<std::pair<std::string, double>> cats;
  for (const auto& kv : doc.cats()) cats.emplace_back(kv.first, kv.second);
  cats_.push_back(std::move(cats));
  unknown_spaces_.push_back(has_unknown_spaces(doc));
  span_groups_.push_back(span_groups_bytes(doc));
  for (const std::string& key : doc.spans().names())
    for (const SpanGroupEntry& e : doc.spans().group(key).spans) {
      strings_.insert(str(e.label));
      if (ss.contains(e.kb_id)) strings_.insert(str(e.kb_id));
      if (ss.contains(e.id)) strings_.insert(str(e.id));
    }
}

std::vector<std::string> DocBin::strings() const {
  return std::vector<std::string>(strings_.begin(), strings_.end());
}

std::string DocBin::to_msgpack() const {
  mp::Writer w;
  w.map_header(store_user_data_ ? 10 : 9);
  w.str("version");
  w.str("0.1");
  w.str("attrs");
  w.array_header(attrs_.size());
  for (uint64_t a : attrs_) w.uinteger(a);
  std::string buf;
  buf.reserve(tokens_.size() * 8);
  for (uint64_t v : tokens_) put_le(buf, v, 8);
  w.str("tokens");
  w.bin(buf);
  w.str("spaces");
  w.bin(std::string_view(reinterpret_cast<const char*>(spaces_.data()), spaces_.size()));
  buf.clear();
  for (int32_t len : lengths_) put_le(buf, uint32_t(len), 4);
  w.str("lengths");
  w.bin(buf);
  w.str("strings");
  w.array_header(strings_.size());
  for (const auto& s : strings_) w.str(s);  // std::set<std::string> orders like Python's sorted()
  w.str("cats");
  w.array_header(cats_.size());
  for (const auto& cats : cats_) {
    w.map_header(cats.size());
    for (const auto& kv : cats) {
      w.str(kv.first);
      w.float64(kv.second);
    }
  }
  w.str("flags");
  w.array_header(unknown_spaces_.size());
  for (bool u : unknown_spaces_) {
    w.map_header(1);
    w.str("has_unknown_spaces");
    w.boolean(u);
  }
  w.str("span_groups");
  w.array_header(span_groups_.size());
  for (const auto& sg : span_groups_) w.bin(sg);
  if (store_user_data_) {
    w.str("user_data");
    w.array_header(lengths_.size());
    for (size_t k = 0; k < lengths_.size(); ++k) w.bin(std::string(1, char(0x80)));  // {}
  }
  return w.take();
}

std::string DocBin::to_bytes() const { return formats::zlib_compress(to_msgpack()); }

void DocBin::from_bytes(std::string_view data, const std::string& source) {
  auto fail = [&](const std::string& msg, int64_t doc = -1) -> DataError {
    return DataError(source, -1, msg, doc);
  };
  // What a DocBin of this size may grow into, so that memory stays proportional to the file:
  // spaCy's files compress 3-10 times, so a stream inflating beyond 100 times (a "zip bomb") is
  // refused as it inflates; and the decoded message may take its bytes plus ~16 bytes per file
  // byte for values (each ~100 bytes, so a flood of one-byte values is refused), with room for
  // small files (many empty docs compress into very little).
  const size_t max_raw = std::max<size_t>(size_t{256} << 20, 100 * data.size());
  std::string raw;
  try {
    raw = formats::zlib_decompress(data, max_raw);
  } catch (const std::exception& e) {
    throw fail(std::string("not a DocBin (.spacy) file: ") + e.what());
  }
  mp::Value msg;
  try {
    msg = mp::decode(raw, raw.size() + std::max<size_t>(size_t{128} << 20, 16 * data.size()));
  } catch (const mp::DecodeError& e) {
    throw fail(std::string("invalid msgpack in DocBin: ") + e.what());
  }
  if (!msg.is_map()) throw fail(std::string("DocBin message is a msgpack ") + msg.type_name() + ", expected a map");
  auto need = [&](const char* key) -> const mp::Value& {
    const mp::Value* v = msg.find(key);
    if (!v) throw fail(std::string("DocBin is missing the key '") + key + "'");
    return *v;
  };
  auto expect = [&](const mp::Value& v, mp::Value::Type t, const std::string& what) {
    if (v.type != t)
      throw fail(what + " is a msgpack " + v.type_name() + ", expected " + mp::Value::type_name(t));
  };
  if (const mp::Value* ver = msg.find("version")) expect(*ver, mp::Value::Type::Str, "'version'");

  const mp::Value& a = need("attrs");
  expect(a, mp::Value::Type::Array, "'attrs'");
  if (a.array.empty()) throw fail("'attrs' is empty");
  std::vector<uint64_t> new_attrs;
  for (const auto& x : a.array) {
    if (x.type != mp::Value::Type::UInt) throw fail("'attrs' holds a " + std::string(x.type_name()) + ", expected attribute IDs");
    new_attrs.push_back(x.u);
  }
  if (std::find(new_attrs.begin(), new_attrs.end(), attrs::ORTH) == new_attrs.end())
    throw fail("'attrs' does not contain ORTH (65)");
  const size_t n_attrs = new_attrs.size();

  const mp::Value& tok = need("tokens");
  expect(tok, mp::Value::Type::Bin, "'tokens'");
  if (tok.s.size() % (8 * n_attrs) != 0)
    throw fail("'tokens' holds " + std::to_string(tok.s.size()) + " bytes, not a whole number of rows of " +
               std::to_string(n_attrs) + " uint64 attributes");
  const size_t n_tokens = tok.s.size() / (8 * n_attrs);

  const mp::Value& sp = need("spaces");
  expect(sp, mp::Value::Type::Bin, "'spaces'");
  if (sp.s.size() != n_tokens)
    throw fail("'spaces' holds " + std::to_string(sp.s.size()) + " entries but 'tokens' holds " +
               std::to_string(n_tokens) + " tokens");

  const mp::Value& le = need("lengths");
  expect(le, mp::Value::Type::Bin, "'lengths'");
  if (le.s.size() % 4 != 0) throw fail("'lengths' is not a whole number of int32 values");
  std::vector<int32_t> new_lengths;
  uint64_t total = 0;
  for (size_t k = 0; k < le.s.size() / 4; ++k) {
    int32_t len = int32_t(uint32_t(get_le(le.s.data() + 4 * k, 4)));
    if (len < 0) throw fail("negative length " + std::to_string(len), int64_t(k));
    total += uint64_t(len);
    new_lengths.push_back(len);
  }
  if (total != n_tokens)
    throw fail("'lengths' add up to " + std::to_string(total) + " tokens but 'tokens' holds " +
               std::to_string(n_tokens));
  const size_t n_docs = new_lengths.size();

  const mp::Value& st = need("strings");
  expect(st, mp::Value::Type::Array, "'strings'");
  std::set<std::string> new_strings;
  for (const auto& s : st.array) {
    if (!s.is_str()) throw fail(std::string("'strings' holds a msgpack ") + s.type_name() + ", expected str");
    try {
      new_strings.insert(utf8<ValueError>(s.s, "a string in 'strings'"));
    } catch (const ValueError& e) {
      throw fail(e.what());
    }
  }

  auto per_doc = [&](const char* key, bool required) -> const mp::Value* {
    const mp::Value* v = required ? &need(key) : msg.find(key);
    if (!v) return nullptr;
    expect(*v, mp::Value::Type::Array, std::string("'") + key + "'");
    if (v->array.size() != n_docs)
      throw fail(std::string("'") + key + "' has " + std::to_string(v->array.size()) +
                 " entries for " + std::to_string(n_docs) + " docs");
    return v;
  };
  std::vector<std::vector<std::pair<std::string, double>>> new_cats;
  const mp::Value* cats = per_doc("cats", true);
  for (size_t k = 0; k < n_docs; ++k) {
    const mp::Value& c = cats->array[k];
    if (!c.is_map()) throw fail(std::string("cats is a msgpack ") + c.type_name() + ", expected a map", int64_t(k));
    std::vector<std::pair<std::string, double>> doc_cats;
    for (const auto& kv : c.map) {
      if (!kv.first.is_str()) throw fail("a cats label is not a string", int64_t(k));
      try {
        utf8<ValueError>(kv.first.s, "a cats label");
      } catch (const ValueError& e) {
        throw fail(e.what(), int64_t(k));
      }
      double val;
      if (kv.second.is_number()) val = kv.second.as_double();
      else if (kv.second.type == mp::Value::Type::Bool) val = kv.second.boolean ? 1.0 : 0.0;
      else throw fail("cats value for '" + kv.first.s + "' is a msgpack " + kv.second.type_name() + ", expected a number", int64_t(k));
      doc_cats.emplace_back(kv.first.s, val);
    }
    new_cats.push_back(std::move(doc_cats));
  }
  std::vector<bool> new_unknown(n_docs, false);
  if (const mp::Value* flags = per_doc("flags", false)) {
    for (size_t k = 0; k < n_docs; ++k) {
      const mp::Value& f = flags->array[k];
      if (!f.is_map()) throw fail(std::string("flags is a msgpack ") + f.type_name() + ", expected a map", int64_t(k));
      if (const mp::Value* u = f.find("has_unknown_spaces")) {
        if (u->type != mp::Value::Type::Bool) throw fail("has_unknown_spaces is not a bool", int64_t(k));
        new_unknown[k] = u->boolean;
      }
    }
  }
  std::vector<std::string> new_groups(n_docs);  // b"" when absent, as spaCy
  if (const mp::Value* groups = per_doc("span_groups", false)) {
    for (size_t k = 0; k < n_docs; ++k) {
      const mp::Value& g = groups->array[k];
      if (!g.is_bin()) throw fail(std::string("span_groups entry is a msgpack ") + g.type_name() + ", expected bin", int64_t(k));
      try {
        decode_span_groups(g.s);
      } catch (const SpanGroupsError& e) {
        throw fail(std::string("invalid span groups: ") + e.what(), int64_t(k));
      }
      new_groups[k] = g.s;
    }
  }
  if (const mp::Value* ud = per_doc("user_data", false)) {
    for (size_t k = 0; k < n_docs; ++k) {
      const mp::Value& u = ud->array[k];
      if (!u.is_bin() && !u.is_nil()) throw fail(std::string("user_data entry is a msgpack ") + u.type_name() + ", expected bin", int64_t(k));
    }
  }

  attrs_ = std::move(new_attrs);
  tokens_.resize(n_tokens * n_attrs);
  for (size_t k = 0; k < tokens_.size(); ++k) tokens_[k] = get_le(tok.s.data() + 8 * k, 8);
  spaces_.assign(sp.s.begin(), sp.s.end());
  lengths_ = std::move(new_lengths);
  strings_ = std::move(new_strings);
  cats_ = std::move(new_cats);
  unknown_spaces_ = std::move(new_unknown);
  span_groups_ = std::move(new_groups);
  store_user_data_ = msg.find("user_data") != nullptr;
  source_ = source;
}

std::vector<Doc> DocBin::get_docs(const std::shared_ptr<Vocab>& vocab) const {
  StringStore& ss = vocab->strings();
  for (const auto& s : strings_) ss.add(s);
  const size_t n_attrs = attrs_.size();
  const size_t orth_col = size_t(std::find(attrs_.begin(), attrs_.end(), attrs::ORTH) - attrs_.begin());
  std::vector<Doc> docs;
  docs.reserve(lengths_.size());
  size_t row0 = 0;
  for (size_t k = 0; k < lengths_.size(); ++k) {
    const int64_t doc_index = int64_t(k);
    const size_t n = size_t(lengths_[k]);
    auto fail = [&](const std::string& msg) { return DataError(source_, -1, msg, doc_index); };
    auto cell = [&](size_t i, size_t col) { return tokens_[(row0 + i) * n_attrs + col]; };
    std::vector<std::string> words;
    std::vector<bool> spaces;
    words.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      uint64_t h = cell(i, orth_col);
      if (!ss.contains(h))
        throw fail("unknown string hash " + std::to_string(h) + " in ORTH of token " + std::to_string(i));
      words.push_back(ss[h]);
      spaces.push_back(unknown_spaces_[k] ? true : spaces_[row0 + i] != 0);
    }
    std::optional<Doc> doc;
    try {
      doc.emplace(vocab, words, spaces);
    } catch (const Error& e) {
      throw fail(std::string("cannot build the doc: ") + e.what());
    }
    auto& toks = doc->tokens();
    for (size_t col = 0; col < n_attrs; ++col) {
      const uint64_t a = attrs_[col];
      if (a == attrs::ORTH) continue;
      for (size_t i = 0; i < n; ++i) {
        const uint64_t v = cell(i, col);
        TokenData& td = toks[i];
        if (is_stored_string_attr(a)) {
          if (v != 0 && !ss.contains(v))
            throw fail("unknown string hash " + std::to_string(v) + " in " + attr_name(a) +
                       " of token " + std::to_string(i));
          switch (a) {
            case attrs::NORM: td.norm = v; break;
            case attrs::LEMMA: td.lemma = v; break;
            case attrs::POS: td.pos = v; break;
            case attrs::TAG: td.tag = v; break;
            case attrs::DEP: td.dep = v; break;
            case attrs::ENT_TYPE: td.ent_type = v; break;
            case attrs::ENT_KB_ID: td.ent_kb_id = v; break;
            case attrs::MORPH: td.morph = v; break;
            case attrs::ENT_ID: td.ent_id = v; break;
            default: break;
          }
        } else if (a == attrs::HEAD) {
          const int64_t rel = int32_t(uint32_t(v));
          if (uint64_t(int64_t(int32_t(uint32_t(v)))) != v || int64_t(i) + rel < 0 || int64_t(i) + rel >= int64_t(n))
            throw fail("HEAD of token " + std::to_string(i) + " points outside the doc (" +
                       std::to_string(int64_t(v)) + ")");
          td.head = int32_t(rel);
        } else if (a == attrs::ENT_IOB) {
          if (v > 3) throw fail("ENT_IOB of token " + std::to_string(i) + " is " + std::to_string(v) + ", expected 0-3");
          td.ent_iob = uint8_t(v);
        } else if (a == attrs::SENT_START) {
          const int64_t s = int64_t(v);
          if (s < -1 || s > 1)
            throw fail("SENT_START of token " + std::to_string(i) + " is " + std::to_string(s) + ", expected -1, 0 or 1");
          td.sent_start = int8_t(s);
        }
        // Lexical attributes (LOWER, SHAPE, ...) come from the vocab; nothing to restore.
      }
    }
    if (std::find(attrs_.begin(), attrs_.end(), uint64_t(attrs::ENT_IOB)) != attrs_.end()) {
      try {
        doc->ents();  // [E093] for an I without a B: reported here, naming the file and doc
      } catch (const ValueError& e) {
        throw fail(e.what());
      }
    }
    // spaCy's Doc.from_array: a parsed doc gets its children and sentence starts from the heads.
    const bool has_head_col = std::find(attrs_.begin(), attrs_.end(), attrs::HEAD) != attrs_.end();
    if (has_head_col && doc->has_annotation("DEP")) doc->set_children_from_heads();
    for (auto& [key, group] : decode_span_groups(span_groups_[k])) {
      for (size_t i = 0; i < group.spans.size(); ++i)
        if (!ss.contains(group.spans[i].label))
          throw fail("unknown string hash " + std::to_string(group.spans[i].label) +
                     " in the label of span " + std::to_string(i) + " of span group '" + key + "'");
      try {
        doc->spans().set_group(key, std::move(group));
      } catch (const ValueError& e) {
        throw fail(e.what());
      }
    }
    for (const auto& kv : cats_[k]) doc->cats()[kv.first] = kv.second;
    if (unknown_spaces_[k]) set_has_unknown_spaces(*doc, true);
    docs.push_back(std::move(*doc));
    row0 += n;
  }
  return docs;
}

void DocBin::to_disk(const std::string& path) const {
  formats::write_file_bytes(path, to_bytes());
}

DocBin DocBin::from_disk(const std::string& path) {
  DocBin db;
  db.from_bytes(read_file_bytes(path), path);
  return db;
}

std::vector<Doc> read_docbin(const std::string& path, std::shared_ptr<Vocab> vocab) {
  return DocBin::from_disk(path).get_docs(vocab);
}

void write_docbin(const std::string& path, const std::vector<const Doc*>& docs,
                  bool store_user_data) {
  DocBin db(docbin_all_attrs(), store_user_data);
  for (const Doc* d : docs) db.add(*d);
  db.to_disk(path);
}

void write_docbin(const std::string& path, const std::vector<Doc>& docs, bool store_user_data) {
  DocBin db(docbin_all_attrs(), store_user_data);
  for (const Doc& d : docs) db.add(d);
  db.to_disk(path);
}

}  // namespace trfpipe
