#include "training/augment.hpp"

#include <mutex>

#include "trfpipe/error.hpp"
#include "trfpipe/registry.hpp"

namespace trfpipe {

namespace {

double uniform(std::mt19937_64& rng) { return std::uniform_real_distribution<double>(0.0, 1.0)(rng); }

size_t choice(std::mt19937_64& rng, size_t n) {
  return std::uniform_int_distribution<size_t>(0, n - 1)(rng);
}

// The reference doc with new words (and spaces), every token annotation of the old one kept;
// `inserted` (when < words.size()) is a new token without annotation.
Doc rebuild_reference(const Doc& ref, const std::vector<std::string>& words,
                      const std::vector<bool>& spaces, size_t inserted = size_t(-1)) {
  Doc out(ref.vocab_ptr(), words, spaces);
  for (size_t i = 0, j = 0; i < words.size(); ++i) {
    if (i == inserted) continue;
    const TokenData& from = ref.token(j++).data();
    TokenData& to = out.token(i).data();
    to.lemma = from.lemma;
    to.tag = from.tag;
    to.pos = from.pos;
    to.dep = from.dep;
    to.morph = from.morph;
    to.ent_type = from.ent_type;
    to.ent_kb_id = from.ent_kb_id;
    to.ent_id = from.ent_id;
    to.ent_iob = from.ent_iob;
    to.sent_start = from.sent_start;
    // Heads are offsets: a head across the inserted token moves one further.
    int64_t head = int64_t(j - 1) + from.head;
    if (inserted < words.size() && size_t(head) >= inserted) ++head;
    to.head = int32_t(head - int64_t(i));
  }
  for (const auto& [label, value] : ref.cats()) out.cats()[label] = value;
  if (inserted >= words.size())  // same tokens: span groups keep their token offsets
    for (const std::string& key : ref.spans().names()) {
      std::vector<Span> spans;
      for (const Span& sp : ref.spans().get(key)) spans.push_back(out.span(sp.start(), sp.end(), sp.label_()));
      out.spans().set(key, spans);
    }
  // The parse's navigation data follows from the heads; without a parse the heads say nothing
  // (and deriving would turn every token into a sentence start).
  if (ref.has_annotation("DEP")) out.set_children_from_heads();
  return out;
}

Example with_reference(Language& nlp, const Example& example, Doc reference) {
  auto ref = std::make_shared<Doc>(std::move(reference));
  auto predicted = std::make_shared<Doc>(nlp.make_doc(ref->text()));
  return Example(std::move(predicted), std::move(ref));
}

std::vector<std::string> words_of(const Doc& doc) {
  std::vector<std::string> out;
  for (size_t i = 0; i < doc.size(); ++i) out.emplace_back(doc.token(i).text());
  return out;
}

std::vector<bool> spaces_of(const Doc& doc) {
  std::vector<bool> out;
  for (size_t i = 0; i < doc.size(); ++i) out.push_back(doc.token(i).data().space);
  return out;
}

bool contains(const Json& list, const std::string& s) {
  if (!list.is_array()) return false;
  for (const auto& e : list)
    if (e.is_string() && e.get<std::string>() == s) return true;
  return false;
}

const Json& entries(const Json& orth_variants, const char* key) {
  static const Json empty = Json::array();
  if (!orth_variants.is_object() || !orth_variants.contains(key)) return empty;
  return orth_variants[key];
}

// orth_variants: an inline dict or what srsly.read_json.v1 read.
Json orth_variants_arg(const registry::Value& args, const std::string& key,
                       const std::vector<std::string>& path, bool optional) {
  const registry::Value& v = args.at(key);
  Json j;
  if (v.is_object()) {
    if (const Json* p = std::any_cast<Json>(&v.object())) j = *p;
  } else {
    j = v.json();
  }
  if (j.is_null() && optional) return j;
  auto check_list = [&](const char* part, bool paired) {
    if (!j.contains(part)) return true;
    if (!j[part].is_array()) return false;
    for (const auto& e : j[part]) {
      if (!e.is_object() || !e.contains("tags") || !e.contains("variants") ||
          !e["tags"].is_array() || !e["variants"].is_array() || e["variants"].empty())
        return false;
      for (const auto& variant : e["variants"])
        if (paired ? !(variant.is_array() && variant.size() == 2) : !variant.is_string())
          return false;
    }
    return true;
  };
  if (!j.is_object() || !check_list("single", false) || !check_list("paired", true)) {
    std::vector<std::string> p = path;
    p.push_back(key);
    throw ConfigError(p, "expected spaCy's orth variants {\"single\": [{\"tags\": [...], "
                         "\"variants\": [...]}], \"paired\": [{\"tags\": [...], \"variants\": "
                         "[[left, right], ...]}]}");
  }
  return j;
}

double level_arg(const registry::Value& args, const std::string& key,
                 const std::vector<std::string>& path) {
  const double v = registry::get_float(args, key);
  if (v < 0.0 || v > 1.0) {
    std::vector<std::string> p = path;
    p.push_back(key);
    throw ConfigError(p, "must be between 0 and 1, got " + std::to_string(v));
  }
  return v;
}

}  // namespace

std::mt19937_64& augment_rng() {
  static std::mt19937_64 rng(0);
  return rng;
}

void reseed_augmenters(uint64_t seed) { augment_rng().seed(seed); }

Example make_lowercase_variant(Language& nlp, const Example& example) {
  const Doc& ref = example.reference();
  std::vector<std::string> words;
  for (size_t i = 0; i < ref.size(); ++i) words.push_back(ref.token(i).lower_());
  return with_reference(nlp, example, rebuild_reference(ref, words, spaces_of(ref)));
}

Example make_orth_variant(Language& nlp, const Example& example, const Json& orth_variants,
                          bool lower) {
  const Doc& ref = example.reference();
  if (ref.size() == 0) return example;
  auto& rng = augment_rng();
  std::vector<std::string> words = words_of(ref);
  if (lower)
    for (size_t i = 0; i < ref.size(); ++i) words[i] = ref.token(i).lower_();
  std::vector<std::string> tags;
  for (size_t i = 0; i < ref.size(); ++i) tags.push_back(ref.token(i).tag_());
  // Single variants: every matching word becomes the one variant drawn for its entry.
  const Json& single = entries(orth_variants, "single");
  std::vector<std::string> single_choice;
  for (const auto& e : single)
    single_choice.push_back(e["variants"][choice(rng, e["variants"].size())].get<std::string>());
  for (size_t w = 0; w < words.size(); ++w)
    for (size_t k = 0; k < single.size(); ++k)
      if (contains(single[k]["tags"], tags[w]) && contains(single[k]["variants"], words[w]))
        words[w] = single_choice[k];
  // Paired variants (quotes, brackets): the drawn pair, left or right as the word was.
  const Json& paired = entries(orth_variants, "paired");
  std::vector<const Json*> pair_choice;
  for (const auto& e : paired) pair_choice.push_back(&e["variants"][choice(rng, e["variants"].size())]);
  for (size_t w = 0; w < words.size(); ++w)
    for (size_t k = 0; k < paired.size(); ++k) {
      const Json& entry = paired[k];
      bool in_variants = false;
      for (const auto& pair : entry["variants"]) in_variants = in_variants || contains(pair, words[w]);
      if (!contains(entry["tags"], tags[w]) || !in_variants) continue;
      size_t side = choice(rng, 2);  // backup: random left or right
      if (entry["tags"].size() == 2) {
        side = entry["tags"][0].get<std::string>() == tags[w] ? 0 : 1;  // paired tags `` / ''
      } else {
        for (const auto& pair : entry["variants"])
          for (size_t s = 0; s < 2; ++s)
            if (pair[s].is_string() && pair[s].get<std::string>() == words[w]) side = s;
      }
      words[w] = (*pair_choice[k])[side].get<std::string>();
    }
  return with_reference(nlp, example, rebuild_reference(ref, words, spaces_of(ref)));
}

Example make_whitespace_variant(Language& nlp, const Example& example,
                                const std::string& whitespace, size_t position) {
  const Doc& ref = example.reference();
  if (ref.size() == 0 || !ref.spans().empty() ||
      (ref.has_annotation("DEP") && !ref.has_annotation("DEP", true)))
    return example;
  if (position > ref.size()) throw ValueError("whitespace variant: position out of range");
  std::vector<std::string> words = words_of(ref);
  std::vector<bool> spaces = spaces_of(ref);
  words.insert(words.begin() + int64_t(position), whitespace);
  spaces.insert(spaces.begin() + int64_t(position), false);
  Doc out = rebuild_reference(ref, words, spaces, position);
  Token t = out.token(position);
  if (ref.has_annotation("TAG")) t.set_tag("_SP");
  if (ref.has_annotation("LEMMA")) t.set_lemma(whitespace);
  if (ref.has_annotation("POS")) t.set_pos("SPACE");
  if (ref.has_annotation("MORPH")) t.set_morph(std::string_view(""));
  if (ref.has_annotation("DEP", true)) {
    // At the start of a sentence the space attaches to the next token, else to the previous.
    t.data().head = position == 0 ? 1 : -1;
    t.set_dep("dep");
    out.set_children_from_heads();
  }
  if (ref.has_annotation("SENT_START")) t.data().sent_start = -1;
  if (ref.has_annotation("ENT_TYPE")) {
    // Inside an entity (B/I before, I/L after, same type): I-TYPE; otherwise O.
    t.data().ent_iob = 2;
    if (position > 1 && position < ref.size()) {
      const TokenData& prev = ref.token(position - 1).data();
      const TokenData& next = ref.token(position).data();
      const bool next_continues = next.ent_iob == 1;  // I or L
      if ((prev.ent_iob == 1 || prev.ent_iob == 3) && next_continues && prev.ent_type == next.ent_type &&
          prev.ent_type != 0) {
        t.data().ent_iob = 1;
        t.data().ent_type = prev.ent_type;
      }
    }
  }
  return with_reference(nlp, example, std::move(out));
}

void register_augmenters() {
  static std::once_flag once;
  std::call_once(once, [] {
    using registry::arg;
    auto& reg = registry::get("augmenters");
    reg.add(registry::Function{
        "", "spacy.lower_case.v1", {arg("level", "float")}, false,
        [](const registry::Value& a, const std::vector<std::string>& path) -> std::any {
          const double level = level_arg(a, "level", path);
          return Augmenter([level](Language& nlp, const Example& eg) -> std::vector<Example> {
            if (uniform(augment_rng()) >= level) return {eg};
            return {make_lowercase_variant(nlp, eg)};
          });
        },
        "Callable[[Language, Example], Iterator[Example]]"});
    reg.add(registry::Function{
        "", "spacy.orth_variants.v1",
        {arg("level", "float"), arg("lower", "float"), arg("orth_variants", "any")},
        false,
        [](const registry::Value& a, const std::vector<std::string>& path) -> std::any {
          const double level = level_arg(a, "level", path), lower = level_arg(a, "lower", path);
          Json variants = orth_variants_arg(a, "orth_variants", path, false);
          return Augmenter([=](Language& nlp, const Example& eg) -> std::vector<Example> {
            if (uniform(augment_rng()) >= level) return {eg};
            const bool lowercase = uniform(augment_rng()) < lower;
            return {make_orth_variant(nlp, eg, variants, lowercase)};
          });
        },
        "Callable[[Language, Example], Iterator[Example]]"});
    reg.add(registry::Function{
        "", "spacy.combined_augmenter.v1",
        {arg("lower_level", "float"), arg("orth_level", "float"),
         arg("orth_variants", "any"), arg("whitespace_level", "float"),
         arg("whitespace_per_token", "float"), arg("whitespace_variants", "list[str]|null")},
        false,
        [](const registry::Value& a, const std::vector<std::string>& path) -> std::any {
          const double lower_level = level_arg(a, "lower_level", path),
                       orth_level = level_arg(a, "orth_level", path),
                       whitespace_level = level_arg(a, "whitespace_level", path),
                       per_token = registry::get_float(a, "whitespace_per_token");
          Json variants = orth_variants_arg(a, "orth_variants", path, true);
          std::vector<std::string> whitespace;
          if (!registry::is_null(a, "whitespace_variants"))
            whitespace = registry::get_str_list(a, "whitespace_variants");
          return Augmenter([=](Language& nlp, const Example& in) -> std::vector<Example> {
            auto& rng = augment_rng();
            Example eg = in;
            if (uniform(rng) < lower_level) eg = make_lowercase_variant(nlp, eg);
            const bool has_variants = variants.is_object() && !variants.empty();
            if (has_variants && uniform(rng) < orth_level)
              eg = make_orth_variant(nlp, eg, variants, false);
            if (!whitespace.empty() && uniform(rng) < whitespace_level) {
              const int64_t n = int64_t(double(eg.reference().size()) * per_token);
              for (int64_t k = 0; k < n; ++k) {
                const std::string& ws = whitespace[choice(rng, whitespace.size())];
                const size_t len = eg.reference().size();
                if (len == 0) break;
                eg = make_whitespace_variant(nlp, eg, ws, choice(rng, len));
              }
            }
            return {eg};
          });
        },
        "Callable[[Language, Example], Iterator[Example]]"});
  });
}

}  // namespace trfpipe
