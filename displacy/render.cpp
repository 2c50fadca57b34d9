// displaCy's renderers (spacy/displacy/render.py, templates.py): the markup follows spaCy's
// templates element by element and attribute by attribute, numbers formatted as Python prints
// them, so pages look the same as spaCy's.
#include "trfpipe/displacy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "tokenization/lex_attrs.hpp"
#include "trfpipe/error.hpp"

namespace trfpipe::displacy {

namespace {

// spaCy's DEFAULT_LABEL_COLORS (OntoNotes labels); other labels get DEFAULT_ENTITY_COLOR.
const std::map<std::string, std::string>& default_colors() {
  static const std::map<std::string, std::string> colors = {
      {"ORG", "#7aecec"},      {"PRODUCT", "#bfeeb7"},  {"GPE", "#feca74"},
      {"LOC", "#ff9561"},      {"PERSON", "#aa9cfc"},   {"NORP", "#c887fb"},
      {"FAC", "#9cc9cc"},      {"EVENT", "#ffeb80"},    {"LAW", "#ff8197"},
      {"LANGUAGE", "#ff8197"}, {"WORK_OF_ART", "#f0d0ff"}, {"DATE", "#bfe1d9"},
      {"TIME", "#bfe1d9"},     {"MONEY", "#e4e7d2"},    {"QUANTITY", "#e4e7d2"},
      {"ORDINAL", "#e4e7d2"},  {"CARDINAL", "#e4e7d2"}, {"PERCENT", "#e4e7d2"},
  };
  return colors;
}
constexpr const char* kDefaultEntityColor = "#ddd";

std::string upper_ascii(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = char(c - 'a' + 'A');
  return s;
}

// A number as Python's str() prints it: ints as ints, floats with at least one decimal.
std::string py_int(long long v) { return std::to_string(v); }
std::string py_float(double v) {
  char buf[64];
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e16) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
  }
  for (int precision = 1; precision <= 17; ++precision) {  // the shortest text that reads back
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

// Byte offset of each character (code point) of a UTF-8 text, plus the end.
std::vector<size_t> char_offsets(const std::string& text) {
  std::vector<size_t> out;
  for (size_t i = 0; i < text.size(); ++i)
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) out.push_back(i);
  out.push_back(text.size());
  return out;
}

struct DocView {
  std::string text;
  std::vector<size_t> offsets;  // characters -> bytes
  std::string slice(size_t start_char, size_t end_char) const {
    return text.substr(offsets[start_char], offsets[end_char] - offsets[start_char]);
  }
};

DocView doc_view(const Json& doc) {
  if (!doc.is_object() || !doc.contains("text") || !doc["text"].is_string())
    throw ValueError("displaCy: expected a Doc.to_json() object with a \"text\"");
  DocView v{doc["text"].get<std::string>(), {}};
  v.offsets = char_offsets(v.text);
  return v;
}

size_t offset_in(const Json& j, const char* key, const DocView& v, const char* what) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number_unsigned())
    throw ValueError(std::string("displaCy: ") + what + " without a valid \"" + key + "\"");
  const size_t at = j[key].get<size_t>();
  if (at + 1 > v.offsets.size())
    throw ValueError(std::string("displaCy: ") + what + " \"" + key + "\" " + std::to_string(at) +
                     " is outside the text (" + std::to_string(v.offsets.size() - 1) + " characters)");
  return at;
}

std::string str_or(const Json& j, const char* key, const std::string& fallback = "") {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : fallback;
}

// Options read with spaCy's defaults.
double num(const Json& o, const char* key, double fallback) {
  return o.contains(key) && o[key].is_number() ? o[key].get<double>() : fallback;
}
bool flag(const Json& o, const char* key, bool fallback) {
  return o.contains(key) && o[key].is_boolean() ? o[key].get<bool>() : fallback;
}

std::string random_id() {
  std::random_device rd;
  std::mt19937_64 gen((uint64_t(rd()) << 32) ^ rd());
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen()));
  return buf;
}

// ------------------------------------------------------------------------------------ dep

struct Arc {
  long long start, end;
  std::string label, dir;
};

class DependencyRenderer {
 public:
  explicit DependencyRenderer(const Json& o) {
    compact_ = flag(o, "compact", false);
    word_spacing_ = num(o, "word_spacing", 45);
    arrow_spacing_ = num(o, "arrow_spacing", compact_ ? 12 : 20);
    arrow_width_ = num(o, "arrow_width", compact_ ? 6 : 10);
    arrow_stroke_ = num(o, "arrow_stroke", 2);
    distance_ = num(o, "distance", compact_ ? 150 : 175);
    offset_x_ = num(o, "offset_x", 50);
    color_ = str_or(o, "color", "#000000");
    bg_ = str_or(o, "bg", "#ffffff");
    font_ = str_or(o, "font", "Arial");
  }

  std::string render_svg(const std::string& id, const Json& words, const std::vector<Arc>& arcs) {
    levels_ = get_levels(arcs);
    highest_level_ = 0;
    for (const auto& kv : levels_) highest_level_ = std::max(highest_level_, kv.second);
    offset_y_ = distance_ / 2 * highest_level_ + arrow_stroke_;
    width_ = offset_x_ + double(words.size()) * distance_;
    height_ = offset_y_ + 3 * word_spacing_;
    id_ = id;
    std::string content;
    for (size_t i = 0; i < words.size(); ++i) content += render_word(words[i], i);
    for (size_t i = 0; i < arcs.size(); ++i) content += render_arrow(arcs[i], i);
    return "\n<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" "
           "xml:lang=\"en\" id=\"" + id_ + "\" class=\"displacy\" width=\"" + num_str(width_) +
           "\" height=\"" + py_float(height_) + "\" direction=\"ltr\" style=\"max-width: none; height: " +
           py_float(height_) + "px; color: " + escape_html(color_) + "; background: " +
           escape_html(bg_) + "; font-family: " + escape_html(font_) +
           "; direction: ltr\">" + content + "</svg>\n";
  }

 private:
  // Option values keep Python's types: integers print as integers.
  static std::string num_str(double v) {
    return v == std::floor(v) && std::fabs(v) < 1e15 ? py_int((long long)v) : py_float(v);
  }

  std::string render_word(const Json& w, size_t i) const {
    const std::string y = py_float(offset_y_ + word_spacing_);
    const std::string x = num_str(offset_x_ + double(i) * distance_);
    std::string out = "\n<text class=\"displacy-token\" fill=\"currentColor\" text-anchor=\"middle\" y=\"" +
                      y + "\">\n    <tspan class=\"displacy-word\" fill=\"currentColor\" x=\"" + x +
                      "\">" + escape_html(str_or(w, "text")) + "</tspan>\n";
    if (w.contains("lemma") && w["lemma"].is_string())
      out += "    <tspan class=\"displacy-lemma\" dy=\"2em\" fill=\"currentColor\" x=\"" + x + "\">" +
             escape_html(w["lemma"].get<std::string>()) + "</tspan>\n";
    out += "    <tspan class=\"displacy-tag\" dy=\"2em\" fill=\"currentColor\" x=\"" + x + "\">" +
           escape_html(str_or(w, "tag")) + "</tspan>\n</text>\n";
    return out;
  }

  std::string render_arrow(const Arc& a, size_t i) const {
    const int level = levels_.at({a.start, a.end, a.label});
    const double x_start = offset_x_ + double(a.start) * distance_ + arrow_spacing_;
    const double y = offset_y_;
    const double x_end = offset_x_ + double(a.end - a.start) * distance_ + double(a.start) * distance_ -
                         arrow_spacing_ * (highest_level_ - level) / 4;
    double y_curve = offset_y_ - level * distance_ / 2;
    if (compact_) y_curve = offset_y_ - level * distance_ / 6;
    if (y_curve == 0 && highest_level_ > 5) y_curve = -distance_;
    const std::string xs = num_str(x_start), ys = py_float(y), cs = py_float(y_curve),
                      es = py_float(x_end);
    const std::string arc = compact_ ? "M" + xs + "," + ys + " " + xs + "," + cs + " " + es + "," + cs + " " + es + "," + ys
                                     : "M" + xs + "," + ys + " C" + xs + "," + cs + " " + es + "," + cs + " " + es + "," + ys;
    std::string p1, p2, p3;
    if (a.dir == "left") {
      p1 = xs;
      p2 = num_str(x_start - arrow_width_ + 2);
      p3 = num_str(x_start + arrow_width_ - 2);
    } else {
      p1 = es;
      p2 = py_float(x_end + arrow_width_ - 2);
      p3 = py_float(x_end - arrow_width_ + 2);
    }
    const std::string head = "M" + p1 + "," + py_float(y + 2) + " L" + p2 + "," +
                             py_float(y - arrow_width_) + " " + p3 + "," + py_float(y - arrow_width_);
    const std::string ref = "arrow-" + id_ + "-" + std::to_string(i);
    return "\n<g class=\"displacy-arrow\">\n    <path class=\"displacy-arc\" id=\"" + ref +
           "\" stroke-width=\"" + num_str(arrow_stroke_) + "px\" d=\"" + arc +
           "\" fill=\"none\" stroke=\"currentColor\"/>\n    <text dy=\"1.25em\" style=\"font-size: 0.8em; "
           "letter-spacing: 1px\">\n        <textPath xlink:href=\"#" + ref +
           "\" class=\"displacy-label\" startOffset=\"50%\" side=\"left\" fill=\"currentColor\" "
           "text-anchor=\"middle\">" + escape_html(a.label) +
           "</textPath>\n    </text>\n    <path class=\"displacy-arrowhead\" d=\"" + head +
           "\" fill=\"currentColor\"/>\n</g>\n";
  }

  // spaCy's get_levels: shorter arcs lower, each arc one above the highest it spans.
  static std::map<std::tuple<long long, long long, std::string>, int> get_levels(
      const std::vector<Arc>& arcs) {
    std::set<std::tuple<long long, long long, std::string, std::string>> unique;
    long long length = 0;
    for (const Arc& a : arcs) {
      unique.insert({a.start, a.end, a.label, a.dir});
      length = std::max(length, a.end);
    }
    std::vector<std::tuple<long long, long long, std::string, std::string>> sorted(unique.begin(), unique.end());
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& x, const auto& y) {
      return std::get<1>(x) - std::get<0>(x) < std::get<1>(y) - std::get<0>(y);
    });
    std::vector<int> max_level(size_t(length), 0);
    std::map<std::tuple<long long, long long, std::string>, int> levels;
    for (const auto& [start, end, label, dir] : sorted) {
      int level = 0;
      for (long long i = start; i < end; ++i) level = std::max(level, max_level[size_t(i)]);
      ++level;
      for (long long i = start; i < end; ++i) max_level[size_t(i)] = level;
      levels[{start, end, label}] = level;
    }
    return levels;
  }

  bool compact_;
  double word_spacing_, arrow_spacing_, arrow_width_, arrow_stroke_, distance_, offset_x_;
  std::string color_, bg_, font_, id_;
  std::map<std::tuple<long long, long long, std::string>, int> levels_;
  int highest_level_ = 0;
  double offset_y_ = 0, width_ = 0, height_ = 0;
};

std::vector<Arc> arcs_of(const Json& parsed) {
  std::vector<Arc> arcs;
  for (const Json& a : parsed["arcs"])
    arcs.push_back({a["start"].get<long long>(), a["end"].get<long long>(),
                    a["label"].get<std::string>(), a["dir"].get<std::string>()});
  return arcs;
}

// ------------------------------------------------------------------------------------ ent

std::string escape_fragments(const std::string& text) {  // newlines become <br>
  std::string out;
  size_t start = 0;
  for (size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1)
    out += escape_html(text.substr(start, nl - start)) + "<br>";
  return out + escape_html(text.substr(start));
}

std::string render_ents(const Json& parsed, const Json& options) {
  std::map<std::string, std::string> colors;
  for (const auto& [label, color] : default_colors()) colors[label] = color;
  if (options.contains("colors") && options["colors"].is_object())
    for (auto it = options["colors"].begin(); it != options["colors"].end(); ++it)
      if (it.value().is_string()) colors[upper_ascii(it.key())] = it.value().get<std::string>();
  std::optional<std::set<std::string>> shown;
  if (options.contains("ents") && options["ents"].is_array()) {
    shown.emplace();
    for (const Json& l : options["ents"])
      if (l.is_string()) shown->insert(upper_ascii(l.get<std::string>()));
  }
  const DocView v = doc_view(parsed);
  std::string markup;
  size_t offset = 0;
  for (const Json& span : parsed["ents"]) {
    const std::string label = str_or(span, "label");
    const size_t start = std::max(offset_in(span, "start", v, "an entity"), offset);
    const size_t end = std::max(offset_in(span, "end", v, "an entity"), start);
    const std::string entity = escape_html(v.slice(start, end));
    markup += escape_fragments(v.slice(offset, start));
    if (!shown || shown->count(upper_ascii(label))) {
      auto c = colors.find(upper_ascii(label));
      const std::string bg = c == colors.end() ? kDefaultEntityColor : c->second;
      markup += "\n<mark class=\"entity\" style=\"background: " + escape_html(bg) +
                "; padding: 0.45em 0.6em; margin: 0 0.25em; line-height: 1; border-radius: 0.35em;\">\n    " +
                entity + "\n    <span style=\"font-size: 0.8em; font-weight: bold; line-height: 1; "
                "border-radius: 0.35em; vertical-align: middle; margin-left: 0.5rem\">" +
                escape_html(label) + "</span>\n</mark>\n";
    } else {
      markup += entity;
    }
    offset = end;
  }
  markup += escape_fragments(v.slice(offset, v.offsets.size() - 1));
  std::string out = "<div class=\"entities\" style=\"line-height: 2.5; direction: ltr\">" + markup + "</div>";
  out = "\n" + out + "\n";
  const std::string title = str_or(parsed, "title");
  if (!title.empty()) out = "\n<h2 style=\"margin: 0\">" + escape_html(title) + "</h2>\n" + out;
  return out;
}

std::string page(const std::string& content) {
  return "\n<!DOCTYPE html>\n<html lang=\"en\">\n    <head>\n        <title>displaCy</title>\n"
         "    </head>\n\n    <body style=\"font-size: 16px; font-family: -apple-system, "
         "BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif, 'Apple Color Emoji', "
         "'Segoe UI Emoji', 'Segoe UI Symbol'; padding: 4rem 2rem; direction: ltr\">" +
         content + "</body>\n</html>\n";
}

std::string strip(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n\r");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\n\r") - a + 1);
}

}  // namespace

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

Json parse_deps(const Json& doc, const Json& options) {
  const DocView v = doc_view(doc);
  const Json tokens = doc.value("tokens", Json::array());
  const size_t n = tokens.size();
  bool has_pos = false, has_heads = false;
  for (const Json& t : tokens) {
    has_pos = has_pos || !str_or(t, "pos").empty();
    has_heads = has_heads || (t.contains("head") && t["head"].is_number_integer());
  }
  const bool fine_grained = flag(options, "fine_grained", false) || !has_pos;
  const bool add_lemma = flag(options, "add_lemma", false);
  // collapse_punct (spaCy's default): a word and the punctuation right after it become one word;
  // the group's root (the token whose head lies outside it) gives its head and label.
  std::vector<size_t> group_of(n);      // token -> merged word
  std::vector<size_t> group_start;      // merged word -> first token
  std::vector<size_t> group_end;        // merged word -> one past its last token
  auto text_of = [&](const Json& t) {
    return v.slice(offset_in(t, "start", v, "a token"), offset_in(t, "end", v, "a token"));
  };
  const bool collapse = flag(options, "collapse_punct", true);
  for (size_t i = 0; i < n;) {
    size_t end = i + 1;
    if (collapse && i + 1 < n && !tokenization::lex::is_punct(text_of(tokens[i])))
      while (end < n && tokenization::lex::is_punct(text_of(tokens[end]))) ++end;
    for (size_t k = i; k < end; ++k) group_of[k] = group_start.size();
    group_start.push_back(i);
    group_end.push_back(end);
    i = end;
  }
  auto head_of = [&](size_t i) -> long long {
    const Json& t = tokens[i];
    return t.contains("head") && t["head"].is_number_integer() ? t["head"].get<long long>() : (long long)i;
  };
  Json words = Json::array();
  Json arcs = Json::array();
  for (size_t w = 0; w < group_start.size(); ++w) {
    const size_t first = group_start[w], last = group_end[w];
    size_t root = first;
    for (size_t k = first; k < last; ++k) {
      const long long h = head_of(k);
      if (h < (long long)first || h >= (long long)last) {
        root = k;
        break;
      }
    }
    const Json& t = tokens[first];
    const Json& r = tokens[root];
    Json word = {{"text", v.slice(offset_in(t, "start", v, "a token"),
                                  offset_in(tokens[last - 1], "end", v, "a token"))},
                 {"tag", str_or(t, fine_grained ? "tag" : "pos")}};
    word["lemma"] = add_lemma ? Json(str_or(t, "lemma")) : Json(nullptr);
    words.push_back(std::move(word));
    if (!has_heads) continue;
    const long long h = head_of(root);
    if (h < 0 || h >= (long long)n) continue;
    const long long head = (long long)group_of[size_t(h)];
    const std::string label = str_or(r, "dep");
    if ((long long)w < head)
      arcs.push_back({{"start", w}, {"end", head}, {"label", label}, {"dir", "left"}});
    else if ((long long)w > head)
      arcs.push_back({{"start", head}, {"end", w}, {"label", label}, {"dir", "right"}});
  }
  return {{"words", std::move(words)}, {"arcs", std::move(arcs)}};
}

Json parse_ents(const Json& doc, const Json& options) {
  const DocView v = doc_view(doc);
  Json ents = Json::array();
  for (const Json& e : doc.value("ents", Json::array())) {
    Json ent = {{"start", offset_in(e, "start", v, "an entity")},
                {"end", offset_in(e, "end", v, "an entity")},
                {"label", str_or(e, "label")}};
    ents.push_back(std::move(ent));
  }
  std::stable_sort(ents.begin(), ents.end(), [](const Json& a, const Json& b) {
    return std::make_pair(a["start"].get<size_t>(), a["end"].get<size_t>()) <
           std::make_pair(b["start"].get<size_t>(), b["end"].get<size_t>());
  });
  Json out = {{"text", v.text}, {"ents", std::move(ents)}, {"title", nullptr}};
  if (doc.contains("title") && doc["title"].is_string()) out["title"] = doc["title"];
  return out;
}

std::string render(const std::vector<Json>& docs, const std::string& style, bool as_page,
                   const Json& options_in) {
  const Json options = options_in.is_object() ? options_in : Json::object();
  std::vector<std::string> rendered;
  if (style == "dep") {
    DependencyRenderer renderer(options);
    const std::string id_prefix = random_id();
    for (size_t i = 0; i < docs.size(); ++i) {
      const Json parsed = parse_deps(docs[i], options);
      rendered.push_back(renderer.render_svg(id_prefix + "-" + std::to_string(i), parsed["words"],
                                             arcs_of(parsed)));
    }
  } else if (style == "ent") {
    for (const Json& d : docs) rendered.push_back(render_ents(parse_ents(d, options), options));
  } else {
    throw ValueError("[E087] Unknown displaCy style: " + style + " (trfpipe renders 'ent' and 'dep')");
  }
  std::string markup;
  if (as_page) {
    std::string content;
    for (const std::string& r : rendered)
      content += "\n<figure style=\"margin-bottom: 6rem\">" + r + "</figure>\n";
    markup = page(content);
  } else {
    for (const std::string& r : rendered) markup += r;
  }
  return strip(markup);
}

}  // namespace trfpipe::displacy
