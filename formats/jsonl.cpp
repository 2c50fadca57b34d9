// spaCy's v2 JSON training format (gold_io.pyx: json_to_annotations, docs_to_json), JSONL text
// and the GoEmotions TSV.
#include <algorithm>
#include <unordered_set>

#include "trfpipe/data.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/morphology.hpp"
#include "trfpipe/example.hpp"
#include "formats/data_util.hpp"

namespace trfpipe {

namespace {

using PlainJson = nlohmann::json;

int64_t line_of_offset(std::string_view text, size_t offset) {
  offset = std::min(offset, text.size());
  return 1 + int64_t(std::count(text.begin(), text.begin() + int64_t(offset), '\n'));
}

// spaCy's _guess_spaces: find each word in the raw text in order.
std::vector<bool> guess_spaces(const std::string& text, const std::vector<std::string>& words) {
  std::vector<bool> spaces;
  size_t pos = 0;
  for (const auto& w : words) {
    size_t at = text.find(w, pos);
    if (at == std::string::npos) {
      spaces.push_back(true);
      continue;
    }
    pos = at + w.size();
    spaces.push_back(pos < text.size() && text[pos] == ' ');
  }
  return spaces;
}

std::string morph_string(const Vocab& vocab, hash_t id) {
  std::string m = formats::string_or_empty(vocab, id);
  return m == "_" ? std::string() : m;
}

// One Doc from a line of text; tokenizer errors name the file and line.
Doc doc_from_line(const MakeDoc& make_doc, std::string_view text, const std::string& path,
                  int64_t line_no) {
  try {
    return make_doc(text);
  } catch (const DataError&) {
    throw;
  } catch (const Error& e) {
    throw DataError(path, line_no, e.what());
  }
}

// Doc.to_json's span objects {"start", "end", "label", "kb_id"} as Example.from_dict's
// [start, end, label, kb_id] (other values are left for add_spans_from_dict to refuse).
Json spans_as_tuples(Json spans) {
  if (!spans.is_object()) return spans;
  for (auto& [key, list] : spans.items()) {
    if (!list.is_array()) continue;
    for (Json& item : list) {
      if (!item.is_object()) continue;
      Json t = Json::array({item.contains("start") ? item["start"] : Json(),
                            item.contains("end") ? item["end"] : Json()});
      const Json label = item.contains("label") ? item["label"] : Json("");
      const Json kb_id = item.contains("kb_id") ? item["kb_id"] : Json("");
      const bool has_kb = !(kb_id.is_string() && kb_id.get<std::string>().empty());
      if (has_kb || !(label.is_string() && label.get<std::string>().empty())) t.push_back(label);
      if (has_kb) t.push_back(kb_id);
      item = std::move(t);
    }
  }
  return spans;
}

}  // namespace

std::vector<Doc> parse_json_v2(std::string_view text, const std::string& source,
                               const std::shared_ptr<Vocab>& vocab) {
  PlainJson root;
  try {
    root = parse_json_limited<PlainJson>(text);
  } catch (const PlainJson::parse_error& e) {
    throw DataError(source, line_of_offset(text, e.byte > 0 ? e.byte - 1 : 0),
                    std::string("invalid JSON: ") + e.what());
  }
  if (root.is_object()) root = PlainJson::array({root});
  if (!root.is_array()) throw DataError(source, -1, "expected a JSON list of documents");
  StringStore& ss = vocab->strings();
  std::vector<Doc> docs;
  for (size_t d = 0; d < root.size(); ++d) {
    const PlainJson& jdoc = root[d];
    const std::string where_doc = "document " + std::to_string(d);
    if (!jdoc.is_object() || !jdoc.contains("paragraphs") || !jdoc["paragraphs"].is_array())
      throw DataError(source, -1, where_doc + ": expected an object with a 'paragraphs' list");
    const auto& paras = jdoc["paragraphs"];
    for (size_t p = 0; p < paras.size(); ++p) {
      const int64_t out_index = int64_t(docs.size());
      const std::string where = where_doc + " paragraph " + std::to_string(p);
      auto fail = [&](const std::string& msg) { return DataError(source, -1, where + ": " + msg, out_index); };
      const PlainJson& para = paras[p];
      if (!para.is_object() || !para.contains("sentences") || !para["sentences"].is_array())
        throw fail("expected an object with a 'sentences' list");
      std::vector<std::string> words;
      std::vector<std::optional<bool>> spaces;
      std::vector<const PlainJson*> toks;
      std::vector<int8_t> sent_starts;
      for (size_t s = 0; s < para["sentences"].size(); ++s) {
        const PlainJson& sent = para["sentences"][s];
        if (!sent.is_object() || !sent.contains("tokens") || !sent["tokens"].is_array())
          throw fail("sentence " + std::to_string(s) + ": expected an object with a 'tokens' list");
        const auto& stoks = sent["tokens"];
        for (size_t t = 0; t < stoks.size(); ++t) {
          const PlainJson& tok = stoks[t];
          if (!tok.is_object() || !tok.contains("orth") || !tok["orth"].is_string() ||
              tok["orth"].get<std::string>().empty())
            throw fail("sentence " + std::to_string(s) + " token " + std::to_string(t) +
                       ": expected an object with a non-empty string 'orth'");
          words.push_back(tok["orth"].get<std::string>());
          std::optional<bool> sp;
          if (tok.contains("space")) {
            const auto& v = tok["space"];
            if (v.is_boolean()) sp = v.get<bool>();
            else if (v.is_string()) sp = !v.get<std::string>().empty();
            else if (!v.is_null()) throw fail("token '" + words.back() + "': 'space' must be a bool or string");
          }
          spaces.push_back(sp);
          toks.push_back(&tok);
          sent_starts.push_back(t == 0 ? 1 : -1);
        }
      }
      const bool all_spaces = !spaces.empty() && std::all_of(spaces.begin(), spaces.end(), [](auto& s) { return s.has_value(); });
      std::vector<bool> sp;
      bool unknown = false;
      if (all_spaces) {
        for (auto& s : spaces) sp.push_back(*s);
      } else if (para.contains("raw") && para["raw"].is_string()) {
        sp = guess_spaces(para["raw"].get<std::string>(), words);
        for (size_t k = 0; k < spaces.size(); ++k)
          if (spaces[k]) sp[k] = *spaces[k];
      } else {
        sp.assign(words.size(), true);
        for (size_t k = 0; k < spaces.size(); ++k)
          if (spaces[k]) sp[k] = *spaces[k];
        unknown = !words.empty();
      }
      std::optional<Doc> doc;
      try {
        doc.emplace(vocab, words, sp);
      } catch (const Error& e) {
        throw fail(e.what());
      }
      if (unknown) set_has_unknown_spaces(*doc, true);
      auto& td = doc->tokens();
      auto str_field = [&](const PlainJson& tok, const char* key) -> std::optional<std::string> {
        if (!tok.contains(key) || tok[key].is_null()) return std::nullopt;
        if (!tok[key].is_string()) throw fail(std::string("token '") + tok["orth"].get<std::string>() + "': '" + key + "' must be a string");
        return tok[key].get<std::string>();
      };
      bool any_morph = false, any_ner = false;
      for (const auto* tok : toks) {
        if (auto m = str_field(*tok, "morph"); m && !m->empty()) any_morph = true;
        if (auto n = str_field(*tok, "ner"); n && !n->empty()) any_ner = true;
      }
      std::vector<std::string> ner(toks.size());
      std::vector<bool> missing(toks.size(), false);
      for (size_t i = 0; i < toks.size(); ++i) {
        const PlainJson& tok = *toks[i];
        td[i].sent_start = sent_starts[i];
        if (auto v = str_field(tok, "tag"); v && !v->empty()) td[i].tag = ss.add(*v);
        if (auto v = str_field(tok, "pos"); v && !v->empty()) {
          if (symbol_id(*v) == 0) throw fail("token '" + words[i] + "': unknown POS '" + *v + "'");
          td[i].pos = ss.add(*v);
        }
        if (any_morph) {
          try {
            td[i].morph = ss.add(morphology::normalize_features(str_field(tok, "morph").value_or("")));
          } catch (const ValueError& e) {
            throw fail("token '" + words[i] + "': " + e.what());
          }
        }
        if (auto v = str_field(tok, "lemma"); v && !v->empty()) td[i].lemma = ss.add(*v);
        if (tok.contains("head") && !tok["head"].is_null()) {
          if (!tok["head"].is_number_integer()) throw fail("token '" + words[i] + "': 'head' must be an integer");
          const int64_t h = tok["head"].get<int64_t>();
          if (int64_t(i) + h < 0 || int64_t(i) + h >= int64_t(toks.size()))
            throw fail("token '" + words[i] + "': head " + std::to_string(h) + " points outside the paragraph");
          td[i].head = int32_t(h);
        }
        if (auto v = str_field(tok, "dep"); v && !v->empty()) {
          std::string dep = *v;
          std::string lower = dep;
          std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
          td[i].dep = ss.add(lower == "root" ? std::string("ROOT") : dep);
        }
        if (any_ner) {
          std::string n = str_field(tok, "ner").value_or("-");
          if (n.empty()) n = "-";
          if (n != "-" && !formats::is_entity_tag(n)) throw fail("token '" + words[i] + "': invalid NER tag '" + n + "'");
          missing[i] = n == "-";
          ner[i] = n;
        }
      }
      if (any_ner) set_entities(*doc, tags_to_spans(ner), missing);
      if (para.contains("cats")) {
        const auto& cats = para["cats"];
        if (!cats.is_array()) throw fail("'cats' must be a list of {label, value}");
        for (const auto& c : cats) {
          if (!c.is_object() || !c.contains("label") || !c["label"].is_string() || !c.contains("value") ||
              !(c["value"].is_number() || c["value"].is_boolean()))
            throw fail("'cats' entries must be {\"label\": str, \"value\": number}");
          doc->cats()[c["label"].get<std::string>()] =
              c["value"].is_boolean() ? (c["value"].get<bool>() ? 1.0 : 0.0) : c["value"].get<double>();
        }
      }
      if (doc->has_annotation("DEP")) doc->set_children_from_heads();  // as Doc.from_array
      docs.push_back(std::move(*doc));
    }
  }
  return docs;
}

std::vector<Doc> read_json_v2(const std::string& path, const std::shared_ptr<Vocab>& vocab) {
  return parse_json_v2(read_file_bytes(path), path, vocab);
}

Json docs_to_json(const std::vector<const Doc*>& docs, int doc_id) {
  Json out = Json::object();
  out["id"] = doc_id;
  out["paragraphs"] = Json::array();
  for (const Doc* dp : docs) {
    const Doc& doc = *dp;
    const Vocab& vocab = doc.vocab();
    const auto& td = doc.tokens();
    auto str = [&](hash_t h) { return formats::string_or_empty(vocab, h); };
    Json para = Json::object();
    para["raw"] = has_unknown_spaces(doc) ? Json(nullptr) : Json(doc.text());
    para["sentences"] = Json::array();
    para["cats"] = Json::array();
    para["entities"] = Json::array();
    para["links"] = Json::array();
    for (const auto& kv : doc.cats()) para["cats"].push_back({{"label", kv.first}, {"value", kv.second}});
    // BILUO tags from the entities (missing tag "O", as spaCy's default).
    std::vector<std::string> biluo(td.size(), "O");
    for (size_t i = 0; i < td.size();) {
      if (td[i].ent_iob != 3) {
        ++i;
        continue;
      }
      size_t j = i + 1;
      while (j < td.size() && td[j].ent_iob == 1) ++j;
      const std::string label = str(td[i].ent_type);
      Token first = doc.token(i), last = doc.token(j - 1);
      para["entities"].push_back(Json::array({first.idx(), last.idx() + last.length(), label}));
      if (j - i == 1) {
        biluo[i] = "U-" + label;
      } else {
        biluo[i] = "B-" + label;
        for (size_t k = i + 1; k + 1 < j; ++k) biluo[k] = "I-" + label;
        biluo[j - 1] = "L-" + label;
      }
      i = j;
    }
    auto any = [&](auto pred) { return std::any_of(td.begin(), td.end(), pred); };
    const bool has_tag = any([](const TokenData& t) { return t.tag != 0; });
    const bool has_pos = any([](const TokenData& t) { return t.pos != 0; });
    const bool has_morph = any([](const TokenData& t) { return t.morph != 0; });
    const bool has_lemma = any([](const TokenData& t) { return t.lemma != 0; });
    const bool has_dep = any([](const TokenData& t) { return t.dep != 0; });
    const bool has_ents = any([](const TokenData& t) { return t.ent_iob != 0; });
    Json sent;
    auto flush = [&] {
      if (!sent.is_null()) para["sentences"].push_back(sent);
      sent = Json::object();
      sent["tokens"] = Json::array();
      sent["brackets"] = Json::array();
    };
    for (size_t i = 0; i < td.size(); ++i) {
      if (i == 0 || td[i].sent_start == 1) flush();
      Json tok = Json::object();
      tok["id"] = i;
      tok["orth"] = std::string(doc.token(i).text());
      tok["space"] = td[i].space ? " " : "";
      if (has_tag) tok["tag"] = str(td[i].tag);
      if (has_pos) tok["pos"] = str(td[i].pos);
      if (has_morph) tok["morph"] = morph_string(vocab, td[i].morph);
      if (has_lemma) tok["lemma"] = str(td[i].lemma);
      if (has_dep) {
        tok["head"] = td[i].head;
        tok["dep"] = str(td[i].dep);
      }
      if (has_ents) tok["ner"] = biluo[i];
      sent["tokens"].push_back(std::move(tok));
    }
    if (!sent.is_null()) para["sentences"].push_back(sent);
    out["paragraphs"].push_back(std::move(para));
  }
  return out;
}

std::vector<Doc> read_jsonl(const std::string& path, const MakeDoc& make_doc,
                            const std::string& text_key) {
  if (!make_doc) throw ValueError("read_jsonl needs a tokenizer (make_doc)");
  const std::string data = read_file_bytes(path);
  const auto lines = formats::split_utf8_lines(data, path);
  std::vector<Doc> docs;
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    if (formats::is_blank(lines[ln])) continue;
    const int64_t line_no = int64_t(ln) + 1;
    PlainJson obj;
    try {
      obj = parse_json_limited<PlainJson>(lines[ln]);
    } catch (const PlainJson::parse_error& e) {
      throw DataError(path, line_no, std::string("invalid JSON: ") + e.what());
    }
    if (!obj.is_object()) throw DataError(path, line_no, "expected a JSON object");
    if (!obj.contains(text_key) || !obj[text_key].is_string())
      throw DataError(path, line_no, "expected a string '" + text_key + "' field");
    std::optional<Doc> doc;
    doc.emplace(doc_from_line(make_doc, obj[text_key].get<std::string>(), path, line_no));
    if (obj.contains("cats")) {
      const auto& cats = obj["cats"];
      if (!cats.is_object()) throw DataError(path, line_no, "'cats' must be an object of label: score");
      for (auto it = cats.begin(); it != cats.end(); ++it) {
        if (!it.value().is_number() && !it.value().is_boolean())
          throw DataError(path, line_no, "cats value for '" + it.key() + "' is not a number");
        doc->cats()[it.key()] = it.value().is_boolean() ? (it.value().get<bool>() ? 1.0 : 0.0)
                                                        : it.value().get<double>();
      }
    }
    if (obj.contains("spans")) {
      try {
        // Re-read in key order: span groups keep their insertion order.
        add_spans_from_dict(*doc, spans_as_tuples(parse_json_limited<Json>(lines[ln])["spans"]));
      } catch (const ValueError& e) {
        throw DataError(path, line_no, e.what());
      }
    }
    docs.push_back(std::move(*doc));
  }
  return docs;
}

std::vector<std::string> read_labels(const std::string& path) {
  const std::string data = read_file_bytes(path);
  auto lines = formats::split_utf8_lines(data, path);
  while (!lines.empty() && formats::is_blank(lines.back())) lines.pop_back();
  std::vector<std::string> labels;
  std::unordered_set<std::string> seen;
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    std::string label(formats::trim(lines[ln]));
    if (label.empty()) throw DataError(path, int64_t(ln) + 1, "empty label");
    if (!seen.insert(label).second) throw DataError(path, int64_t(ln) + 1, "duplicate label '" + label + "'");
    labels.push_back(std::move(label));
  }
  if (labels.empty()) throw DataError(path, -1, "no labels");
  return labels;
}

std::vector<Doc> read_goemotions(const std::string& path, const std::vector<std::string>& labels,
                                 const MakeDoc& make_doc) {
  if (!make_doc) throw ValueError("read_goemotions needs a tokenizer (make_doc)");
  if (labels.empty()) throw ValueError("read_goemotions needs the label list");
  const std::string data = read_file_bytes(path);
  const auto lines = formats::split_utf8_lines(data, path);
  std::vector<Doc> docs;
  for (size_t ln = 0; ln < lines.size(); ++ln) {
    if (formats::is_blank(lines[ln])) continue;
    const int64_t line_no = int64_t(ln) + 1;
    auto fields = formats::split_on(lines[ln], '\t');
    if (fields.size() != 2 && fields.size() != 3)
      throw DataError(path, line_no, "expected text<TAB>label ids<TAB>id, found " +
                                         std::to_string(fields.size()) + " tab-separated fields");
    std::vector<bool> on(labels.size(), false);
    std::string_view ids = formats::trim(fields[1]);
    if (!ids.empty()) {
      for (auto id : formats::split_on(ids, ',')) {
        id = formats::trim(id);
        size_t v = 0;
        bool ok = !id.empty() && id.size() < 10;
        for (char c : id) {
          if (c < '0' || c > '9') ok = false;
          else v = v * 10 + size_t(c - '0');
        }
        if (!ok) throw DataError(path, line_no, "invalid label id '" + std::string(id) + "'");
        if (v >= labels.size())
          throw DataError(path, line_no, "label id " + std::to_string(v) + " out of range (" +
                                             std::to_string(labels.size()) + " labels)");
        on[v] = true;
      }
    }
    std::optional<Doc> doc;
    doc.emplace(doc_from_line(make_doc, fields[0], path, line_no));
    for (size_t k = 0; k < labels.size(); ++k) doc->cats()[labels[k]] = on[k] ? 1.0 : 0.0;
    docs.push_back(std::move(*doc));
  }
  return docs;
}

}  // namespace trfpipe
