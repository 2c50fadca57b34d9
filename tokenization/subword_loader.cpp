// load_subword_tokenizer: picks the tokenizer from what a path holds (a Hugging Face model
// folder, tokenizer.json, vocab.txt, vocab.json + merges, a SentencePiece .model).
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tokenization/byte_bpe.hpp"
#include "tokenization/sentencepiece_tokenizer.hpp"
#include "tokenization/subword_model.hpp"
#include "tokenization/unigram.hpp"
#include "tokenization/wordpiece.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/json_limits.hpp"
#include "trfpipe/subword_tokenizer.hpp"

namespace trfpipe {
namespace {

// nlohmann::json, not ordered_json: ordered_json inserts in O(n), quadratic for 50k-entry vocabularies.
using Json = nlohmann::json;
using namespace subword;

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}
bool is_file(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}
std::string dir_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
}
std::string base_name(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}

Json parse_json_file(const std::string& path, const std::string& what) {
  std::string text = read_file(path);
  try {
    return parse_json_limited<Json>(text);
  } catch (const std::exception& e) {
    throw Error("malformed " + what + " " + path + ": " + e.what());
  }
}

// A special token in tokenizer_config.json / special_tokens_map.json: "x" or {"content": "x"}.
std::string token_string(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object() && v.contains("content") && v["content"].is_string())
    return v["content"].get<std::string>();
  return "";
}

struct FolderConfig {
  Json config = Json::object();  // tokenizer_config.json merged with special_tokens_map.json
  bool has(const char* k) const { return config.contains(k) && !config[k].is_null(); }
  bool flag(const char* k, bool fallback) const {
    return has(k) && config[k].is_boolean() ? config[k].get<bool>() : fallback;
  }
  std::string str(const char* k) const { return has(k) ? token_string(config[k]) : ""; }
};

FolderConfig read_folder_config(const std::string& dir) {
  FolderConfig fc;
  std::string cfg = dir + "/tokenizer_config.json", map = dir + "/special_tokens_map.json";
  if (is_file(cfg)) {
    Json j = parse_json_file(cfg, "tokenizer_config.json");
    if (!j.is_object()) throw Error("malformed tokenizer_config.json " + cfg + ": not an object");
    fc.config = j;
  }
  if (is_file(map)) {
    Json j = parse_json_file(map, "special_tokens_map.json");
    if (!j.is_object()) throw Error("malformed special_tokens_map.json " + map + ": not an object");
    for (auto it = j.begin(); it != j.end(); ++it) fc.config[it.key()] = it.value();
  }
  return fc;
}

SpecialTokens family_defaults(TokenizerFamily f) {
  SpecialTokens s;
  switch (f) {
    case TokenizerFamily::Bert: s = {"[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]", "", ""}; break;
    case TokenizerFamily::Roberta:
    case TokenizerFamily::XlmRoberta:
      s = {"<unk>", "<s>", "</s>", "<pad>", "<mask>", "<s>", "</s>"};
      break;
    case TokenizerFamily::Gpt2:
      s = {"<|endoftext|>", "", "", "", "", "<|endoftext|>", "<|endoftext|>"};
      break;
    case TokenizerFamily::Albert: s = {"<unk>", "[CLS]", "[SEP]", "<pad>", "[MASK]", "[CLS]", "[SEP]"}; break;
    case TokenizerFamily::Xlnet: s = {"<unk>", "<cls>", "<sep>", "<pad>", "<mask>", "<s>", "</s>"}; break;
    case TokenizerFamily::SentencePiece: s = {"<unk>", "", "", "<pad>", "", "<s>", "</s>"}; break;
  }
  return s;
}

// Applies the family's defaults, then the folder's special tokens and model_max_length; drops
// special tokens the vocabulary lacks; registers present ones as added (special) tokens.
void finish(ModelTokenizer& tok, TokenizerFamily family, const FolderConfig* fc,
            const SubwordTokenizerOptions& options, bool add_specials_as_added,
            SpecialTokens base) {
  tok.set_family(family);
  if (fc) {
    auto over = [&](std::string& slot, const char* key) {
      std::string v = fc->str(key);
      if (!v.empty()) slot = v;
    };
    over(base.unk, "unk_token");
    over(base.cls, "cls_token");
    over(base.sep, "sep_token");
    over(base.pad, "pad_token");
    over(base.mask, "mask_token");
    over(base.bos, "bos_token");
    over(base.eos, "eos_token");
  }
  tok.set_special_tokens(base);
  for (std::string* s : {&base.unk, &base.cls, &base.sep, &base.pad, &base.mask, &base.bos, &base.eos})
    if (!s->empty() && tok.token_to_id(*s) < 0) s->clear();
  // The template's own tokens must exist.
  bool needs_cls_sep = family == TokenizerFamily::Bert || family == TokenizerFamily::Albert ||
                       family == TokenizerFamily::Roberta || family == TokenizerFamily::XlmRoberta ||
                       family == TokenizerFamily::Xlnet;
  if (needs_cls_sep && (base.cls.empty() || base.sep.empty()))
    throw Error(std::string("the ") + family_name(family) +
                " template needs cls and sep tokens that are in the vocabulary");
  tok.set_special_tokens(base);
  size_t max_len = 512;
  if (family == TokenizerFamily::Gpt2) max_len = 1024;
  if (family == TokenizerFamily::Xlnet) max_len = 0;  // relative positions: no limit, as HF
  if (fc && fc->has("model_max_length") && fc->config["model_max_length"].is_number()) {
    double v = fc->config["model_max_length"].get<double>();
    if (v > 0 && v < 1e9) max_len = static_cast<size_t>(v);  // HF writes 1e30 for "unset"
  }
  if (options.model_max_length) max_len = options.model_max_length;
  tok.set_model_max_length(max_len);
  if (add_specials_as_added) {
    std::vector<AddedToken> added = tok.added_tokens();
    for (const std::string* s : {&base.unk, &base.cls, &base.sep, &base.pad, &base.mask, &base.bos, &base.eos}) {
      if (s->empty()) continue;
      bool dup = std::any_of(added.begin(), added.end(), [&](const AddedToken& a) { return a.content == *s; });
      if (dup) continue;
      AddedToken a;
      a.content = *s;
      a.id = tok.token_to_id(*s);
      added.push_back(a);
    }
    tok.set_added_tokens(std::move(added));
  }
}

std::vector<std::string> read_vocab_txt(const std::string& path) {
  std::string data = read_file(path);
  std::vector<std::string> vocab;
  size_t start = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == std::string::npos) nl = data.size();
    std::string line = data.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    vocab.push_back(line);
    start = nl + 1;
  }
  if (vocab.empty()) throw Error("empty vocabulary file " + path);
  return vocab;
}

std::vector<std::string> vocab_from_json(const Json& v, const std::string& path) {
  if (!v.is_object()) throw Error("malformed vocabulary in " + path + ": expected an object of token -> id");
  std::vector<std::string> vocab;
  // Ids index a table: gaps are allowed, but not a table far larger than the entries given.
  const size_t max_id = std::min<size_t>(10000000, 4 * v.size() + 1024);
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_integer() || it.value().get<int64_t>() < 0)
      throw Error("malformed vocabulary in " + path + ": the id of '" + it.key() + "' is not a non-negative integer");
    size_t id = it.value().get<size_t>();
    if (id > max_id)
      throw Error("malformed vocabulary in " + path + ": id " + std::to_string(id) + " of '" + it.key() +
                  "' is far beyond the " + std::to_string(v.size()) + " entries");
    if (id >= vocab.size()) vocab.resize(id + 1);
    vocab[id] = it.key();
  }
  if (vocab.empty()) throw Error("empty vocabulary in " + path);
  return vocab;
}

std::vector<std::pair<std::string, std::string>> read_merges_txt(const std::string& path) {
  std::string data = read_file(path);
  std::vector<std::pair<std::string, std::string>> merges;
  size_t start = 0, line_no = 0;
  while (start < data.size()) {
    size_t nl = data.find('\n', start);
    if (nl == std::string::npos) nl = data.size();
    std::string line = data.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    size_t sp = line.find(' ');
    if (sp == std::string::npos || sp == 0 || sp + 1 >= line.size())
      throw Error("malformed merges file " + path + " line " + std::to_string(line_no) + ": expected 'a b'");
    merges.emplace_back(line.substr(0, sp), line.substr(sp + 1));
  }
  return merges;
}

std::unique_ptr<SubwordTokenizer> load_wordpiece_vocab(const std::string& path, bool lowercase,
                                                       const FolderConfig* fc,
                                                       const SubwordTokenizerOptions& options) {
  WordPieceOptions wo;
  wo.lowercase = fc ? fc->flag("do_lower_case", true) : lowercase;
  if (fc && fc->has("strip_accents") && fc->config["strip_accents"].is_boolean())
    wo.strip_accents = fc->config["strip_accents"].get<bool>() ? 1 : 0;
  if (fc) wo.handle_chinese_chars = fc->flag("tokenize_chinese_chars", true);
  SpecialTokens sp = family_defaults(TokenizerFamily::Bert);
  if (fc && !fc->str("unk_token").empty()) wo.unk_token = fc->str("unk_token");
  auto tok = std::make_unique<WordPieceTokenizer>(read_vocab_txt(path), wo);
  finish(*tok, TokenizerFamily::Bert, fc, options, true, sp);
  return tok;
}

TokenizerFamily bpe_family(const FolderConfig* fc, const ModelTokenizer& tok) {
  std::string cls = fc ? fc->str("tokenizer_class") : "";
  if (cls.find("GPT2") != std::string::npos) return TokenizerFamily::Gpt2;
  if (!cls.empty() && (cls.find("Roberta") != std::string::npos || cls.find("Bart") != std::string::npos ||
                       cls.find("Longformer") != std::string::npos))
    return TokenizerFamily::Roberta;
  return tok.token_to_id("<s>") >= 0 && tok.token_to_id("</s>") >= 0 ? TokenizerFamily::Roberta
                                                                      : TokenizerFamily::Gpt2;
}

std::unique_ptr<SubwordTokenizer> load_bpe_files(const std::string& vocab_path,
                                                 const std::string& merges_path,
                                                 const FolderConfig* fc,
                                                 const SubwordTokenizerOptions& options) {
  if (!is_file(merges_path))
    throw Error("missing merges file " + merges_path + " for the BPE vocabulary " + vocab_path +
                " (pass --merges FILE)");
  Json v = parse_json_file(vocab_path, "vocab.json");
  ByteBpeOptions bo;
  if (fc) bo.add_prefix_space = fc->flag("add_prefix_space", false);
  if (fc) bo.trim_offsets = fc->flag("trim_offsets", true);
  auto tok = std::make_unique<ByteBpeTokenizer>(vocab_from_json(v, vocab_path),
                                                read_merges_txt(merges_path), bo);
  TokenizerFamily fam = bpe_family(fc, *tok);
  finish(*tok, fam, fc, options, true, family_defaults(fam));
  return tok;
}

std::unique_ptr<SubwordTokenizer> load_spm(const std::string& model_path, TokenizerFamily fam,
                                           const FolderConfig* fc,
                                           const SubwordTokenizerOptions& options) {
  SentencePieceOptions so;
  so.model_file_name = base_name(model_path);
  so.fairseq_ids = fam == TokenizerFamily::XlmRoberta;
  so.lowercase = fc ? fc->flag("do_lower_case", fam == TokenizerFamily::Albert) : options.lowercase;
  auto tok = std::make_unique<SentencePieceTokenizer>(read_file(model_path), so);
  finish(*tok, fam, fc, options, fam != TokenizerFamily::SentencePiece, family_defaults(fam));
  return tok;
}

// ---- tokenizer.json ----

std::string special_of(const Json& pair_or_obj) {  // ["[SEP]", 102]
  if (pair_or_obj.is_array() && !pair_or_obj.empty() && pair_or_obj[0].is_string())
    return pair_or_obj[0].get<std::string>();
  return "";
}

// o[key] for reading: null when o is not an object or lacks the key. (nlohmann's const
// operator[] on a missing key is undefined behaviour in release builds.)
const Json& field(const Json& o, const char* key) {
  static const Json null_json;
  if (!o.is_object()) return null_json;
  auto it = o.find(key);
  return it == o.end() ? null_json : *it;
}

// o[key] when it is a string (else `fallback`); Error naming the file for another type.
std::string string_field(const Json& o, const char* key, const std::string& fallback, const std::string& path) {
  const Json& v = field(o, key);
  if (v.is_null()) return fallback;
  if (!v.is_string()) throw Error("malformed tokenizer.json " + path + ": '" + key + "' is not a string");
  return v.get<std::string>();
}

std::unique_ptr<SubwordTokenizer> parse_tokenizer_json(const std::string& text, const std::string& path,
                                                      const FolderConfig* fc,
                                                      const SubwordTokenizerOptions& options);

// `text` is the content of the tokenizer.json at `path` (or one built for it, see load_xlnet_spm).
// Any JSON type mismatch left unchecked in parse_tokenizer_json still names the file.
std::unique_ptr<SubwordTokenizer> load_tokenizer_json_text(const std::string& text, const std::string& path,
                                                           const FolderConfig* fc,
                                                           const SubwordTokenizerOptions& options) {
  try {
    return parse_tokenizer_json(text, path, fc, options);
  } catch (const nlohmann::json::exception& e) {
    throw Error("malformed tokenizer.json " + path + ": " + e.what());
  }
}

std::unique_ptr<SubwordTokenizer> parse_tokenizer_json(const std::string& text, const std::string& path,
                                                      const FolderConfig* fc,
                                                      const SubwordTokenizerOptions& options) {
  Json j;
  try {
    j = parse_json_limited<Json>(text);
  } catch (const std::exception& e) {
    throw Error("malformed tokenizer.json " + path + ": " + e.what());
  }
  if (!j.is_object() || !j.contains("model") || !j["model"].is_object())
    throw Error("malformed tokenizer.json " + path + ": no \"model\" object");
  const Json& model = j["model"];
  std::string type = string_field(model, "type", "", path);
  if (type.empty()) {  // old files: infer from the fields
    if (model.contains("merges")) type = "BPE";
    else if (model.contains("continuing_subword_prefix") && model.contains("max_input_chars_per_word")) type = "WordPiece";
  }
  auto jstr = [](const Json& o, const char* k) {
    return o.is_object() && o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string();
  };
  auto jbool = [](const Json& o, const char* k, bool d) {
    return o.is_object() && o.contains(k) && o[k].is_boolean() ? o[k].get<bool>() : d;
  };
  const Json null_json;
  const Json& norm = j.contains("normalizer") ? j["normalizer"] : null_json;
  const Json& pre = j.contains("pre_tokenizer") ? j["pre_tokenizer"] : null_json;
  const Json& post = j.contains("post_processor") ? j["post_processor"] : null_json;
  std::string post_type = jstr(post, "type");

  // Family and template tokens from the post-processor.
  TokenizerFamily fam;
  SpecialTokens sp;
  bool have_template = false;
  if (post_type == "BertProcessing") {
    fam = TokenizerFamily::Bert;
    sp = family_defaults(fam);
    sp.cls = special_of(field(post, "cls"));
    sp.sep = special_of(field(post, "sep"));
    have_template = true;
  } else if (post_type == "RobertaProcessing") {
    fam = TokenizerFamily::Roberta;
    sp = family_defaults(fam);
    sp.cls = special_of(field(post, "cls"));
    sp.sep = special_of(field(post, "sep"));
    have_template = true;
  } else if (post_type == "TemplateProcessing") {
    // Recognise the three template shapes: [S] $A [S] (+pair $B [S] -> BERT, [S] [S] $B [S] ->
    // RoBERTa) and $A [S] [S] (XLNet).
    const Json& single = field(post, "single");
    if (!single.is_array())
      throw Error("malformed tokenizer.json " + path + ": TemplateProcessing 'single' is not a list");
    std::vector<std::string> shape;
    for (const auto& item : single) {
      if (item.contains("SpecialToken")) shape.push_back(string_field(field(item, "SpecialToken"), "id", "", path));
      else shape.push_back("$");
    }
    size_t pair_specials_between = 0;
    if (field(post, "pair").is_array()) {
      bool after_a = false;
      for (const auto& item : field(post, "pair")) {
        if (item.contains("Sequence")) {
          if (after_a) break;
          after_a = true;
        } else if (after_a) {
          ++pair_specials_between;
        }
      }
    }
    if (shape.size() == 3 && shape[1] == "$") {
      fam = pair_specials_between >= 2 ? TokenizerFamily::Roberta : TokenizerFamily::Bert;
      sp = family_defaults(fam);
      sp.cls = shape[0];
      sp.sep = shape[2];
    } else if (shape.size() == 3 && shape[0] == "$") {
      fam = TokenizerFamily::Xlnet;
      sp = family_defaults(fam);
      sp.sep = shape[1];
      sp.cls = shape[2];
    } else if (shape.size() == 1 && shape[0] == "$") {
      fam = type == "BPE" ? TokenizerFamily::Gpt2 : TokenizerFamily::SentencePiece;
      sp = family_defaults(fam);
    } else {
      throw Error("unsupported TemplateProcessing in " + path + " (supported: [CLS] $A [SEP], $A <sep> <cls>, $A)");
    }
    have_template = true;
  } else if (post_type == "ByteLevel" || post_type.empty()) {
    fam = type == "BPE" ? TokenizerFamily::Gpt2 : TokenizerFamily::SentencePiece;
    sp = family_defaults(fam);
  } else {
    throw Error("unsupported post_processor type '" + post_type + "' in " + path);
  }
  (void)have_template;
  if (type == "Unigram" && fam == TokenizerFamily::Bert) {  // [CLS] $A [SEP] over SentencePiece: ALBERT
    SpecialTokens d = family_defaults(TokenizerFamily::Albert);
    d.cls = sp.cls;
    d.sep = sp.sep;
    sp = d;
    fam = TokenizerFamily::Albert;
  }

  std::unique_ptr<ModelTokenizer> tok;
  if (type == "WordPiece") {
    WordPieceOptions wo;
    std::string nt = jstr(norm, "type");
    if (nt == "BertNormalizer") {
      wo.clean_text = jbool(norm, "clean_text", true);
      wo.handle_chinese_chars = jbool(norm, "handle_chinese_chars", true);
      wo.lowercase = jbool(norm, "lowercase", true);
      wo.strip_accents = norm.contains("strip_accents") && norm["strip_accents"].is_boolean()
                             ? (norm["strip_accents"].get<bool>() ? 1 : 0)
                             : -1;
    } else if (norm.is_null()) {
      wo.clean_text = wo.handle_chinese_chars = wo.lowercase = false;
      wo.strip_accents = 0;
    } else {
      throw Error("unsupported normalizer '" + nt + "' for WordPiece in " + path + " (supported: BertNormalizer)");
    }
    std::string pt = jstr(pre, "type");
    if (pt != "BertPreTokenizer")
      throw Error("unsupported pre_tokenizer '" + pt + "' for WordPiece in " + path + " (supported: BertPreTokenizer)");
    wo.unk_token = string_field(model, "unk_token", "[UNK]", path);
    wo.continuing_subword_prefix = string_field(model, "continuing_subword_prefix", "##", path);
    const Json& max_chars = field(model, "max_input_chars_per_word");
    if (!max_chars.is_null() && !max_chars.is_number_unsigned())
      throw Error("malformed tokenizer.json " + path + ": 'max_input_chars_per_word' is not a non-negative integer");
    wo.max_input_chars_per_word = max_chars.is_null() ? size_t{100} : max_chars.get<size_t>();
    if (!model.contains("vocab")) throw Error("malformed tokenizer.json " + path + ": WordPiece model without vocab");
    tok = std::make_unique<WordPieceTokenizer>(vocab_from_json(model["vocab"], path), wo);
    sp.unk = wo.unk_token;
  } else if (type == "BPE") {
    ByteBpeOptions bo;
    const Json* bl = nullptr;
    if (jstr(pre, "type") == "ByteLevel") {
      bl = &pre;
    } else if (jstr(pre, "type") == "Sequence" && pre.contains("pretokenizers")) {
      for (const auto& p : pre["pretokenizers"])
        if (jstr(p, "type") == "ByteLevel") bl = &p;
    }
    if (!bl) throw Error("unsupported pre_tokenizer for BPE in " + path + " (supported: ByteLevel)");
    if (!norm.is_null()) throw Error("unsupported normalizer '" + jstr(norm, "type") + "' for byte-level BPE in " + path);
    bo.add_prefix_space = jbool(*bl, "add_prefix_space", false);
    bo.use_regex = jbool(*bl, "use_regex", true);
    bo.trim_offsets = post_type == "ByteLevel" || post_type == "RobertaProcessing"
                          ? jbool(post, "trim_offsets", true)
                          : false;
    bo.processor_add_prefix_space = jbool(post, "add_prefix_space", true);
    if (!model.contains("vocab") || !model.contains("merges"))
      throw Error("malformed tokenizer.json " + path + ": BPE model without vocab or merges");
    std::vector<std::pair<std::string, std::string>> merges;
    for (const auto& m : model["merges"]) {
      if (m.is_string()) {
        std::string s = m.get<std::string>();
        size_t p = s.find(' ');
        if (p == std::string::npos) throw Error("malformed tokenizer.json " + path + ": merge '" + s + "'");
        merges.emplace_back(s.substr(0, p), s.substr(p + 1));
      } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
        merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
      } else {
        throw Error("malformed tokenizer.json " + path + ": a merge is neither \"a b\" nor [a, b]");
      }
    }
    tok = std::make_unique<ByteBpeTokenizer>(vocab_from_json(model["vocab"], path), merges, bo);
    if (model.contains("unk_token") && model["unk_token"].is_string()) sp.unk = model["unk_token"].get<std::string>();
  } else if (type == "Unigram") {
    // Native SentencePiece-style pipeline (Precompiled/... normalizers, Metaspace, Viterbi).
    auto ut = make_unigram_tokenizer(j, path);
    if (ut->model().unk_id() >= 0) sp.unk = ut->model().pieces()[static_cast<size_t>(ut->model().unk_id())];
    ut->set_hf_offsets(fam == TokenizerFamily::Xlnet);
    tok = std::move(ut);
  } else {
    throw Error("unknown model type '" + type + "' in " + path + " (supported: WordPiece, BPE, Unigram)");
  }
  // Added tokens.
  std::vector<AddedToken> added;
  if (j.contains("added_tokens") && j["added_tokens"].is_array()) {
    for (const auto& a : j["added_tokens"]) {
      if (!a.is_object() || !field(a, "content").is_string() || !field(a, "id").is_number_integer())
        throw Error("malformed tokenizer.json " + path + ": added token without a string content or an integer id");
      AddedToken t;
      t.content = a["content"].get<std::string>();
      t.id = a["id"].get<int64_t>();
      if (t.id < 0 || t.id >= (int64_t{1} << 24))
        throw Error("malformed tokenizer.json " + path + ": added token '" + t.content + "' has id " +
                    std::to_string(t.id) + " (expected 0 to 16,777,215)");
      t.special = jbool(a, "special", false);
      t.lstrip = jbool(a, "lstrip", false);
      t.rstrip = jbool(a, "rstrip", false);
      t.single_word = jbool(a, "single_word", false);
      t.normalized = jbool(a, "normalized", !t.special);
      added.push_back(t);
    }
  }
  tok->set_added_tokens(std::move(added));
  tok->set_tokenizer_json(text);
  finish(*tok, fam, fc, options, false, sp);
  return tok;
}

std::unique_ptr<SubwordTokenizer> load_tokenizer_json(const std::string& path, const FolderConfig* fc,
                                                      const SubwordTokenizerOptions& options) {
  return load_tokenizer_json_text(read_file(path), path, fc, options);
}

// XLNet from spiece.model as transformers 5 reads it: the unigram pieces run natively with the
// normalizers and added tokens XLNetTokenizer sets up (see xlnet_tokenizer_json), not through
// libsentencepiece, so the offsets and the `` / accent handling are Hugging Face's.
std::unique_ptr<SubwordTokenizer> load_xlnet_spm(const std::string& model_path, const FolderConfig* fc,
                                                 const SubwordTokenizerOptions& options) {
  const bool lowercase = fc ? fc->flag("do_lower_case", false) : options.lowercase;
  std::string text;
  try {
    text = xlnet_tokenizer_json(read_file(model_path), lowercase);
  } catch (const ValueError& e) {
    throw Error(model_path + ": " + e.what());
  }
  return load_tokenizer_json_text(text, model_path, fc, options);
}

// The tokenizer class a folder declares: tokenizer_config.json's tokenizer_class, else the one
// Hugging Face's AutoTokenizer picks for config.json's model_type (only the SentencePiece ones
// matter here); `source` says which file and key it came from.
std::string folder_tokenizer_class(const std::string& dir, const FolderConfig& fc, std::string& source) {
  std::string cls = fc.str("tokenizer_class");
  if (!cls.empty()) {
    source = dir + "/tokenizer_config.json 'tokenizer_class'";
    return cls;
  }
  const std::string cfg = dir + "/config.json";
  if (!is_file(cfg)) return "";
  Json j;
  try {
    j = parse_json_limited<Json>(read_file(cfg));
  } catch (const std::exception&) {
    return "";  // the model loader reports a malformed config.json
  }
  if (!j.is_object() || !j.contains("model_type") || !j["model_type"].is_string()) return "";
  const std::string mt = j["model_type"].get<std::string>();
  source = cfg + " 'model_type' (" + mt + ")";
  if (mt == "xlnet") return "XLNetTokenizer";
  if (mt == "albert") return "AlbertTokenizer";
  if (mt == "t5") return "T5Tokenizer";
  if (mt == "xlm-roberta") return "XLMRobertaTokenizer";
  if (mt == "camembert") return "CamembertTokenizer";
  return "";
}

std::unique_ptr<SubwordTokenizer> load_folder(const std::string& dir, const SubwordTokenizerOptions& options) {
  FolderConfig fc = read_folder_config(dir);
  std::string cls_source;
  std::string cls = folder_tokenizer_class(dir, fc, cls_source);
  auto f = [&](const char* name) { return dir + "/" + name; };
  if (is_file(f("tokenizer.json"))) return load_tokenizer_json(f("tokenizer.json"), &fc, options);
  if (is_file(f("vocab.txt"))) return load_wordpiece_vocab(f("vocab.txt"), true, &fc, options);
  if (is_file(f("vocab.json"))) {
    std::string merges = options.merges.empty() ? f("merges.txt") : options.merges;
    return load_bpe_files(f("vocab.json"), merges, &fc, options);
  }
  const bool xlnet = cls.find("XLNet") != std::string::npos;
  if (is_file(f("spiece.model"))) {
    if (xlnet) return load_xlnet_spm(f("spiece.model"), &fc, options);
    TokenizerFamily fam = cls.find("T5") != std::string::npos ? TokenizerFamily::SentencePiece
                                                               : TokenizerFamily::Albert;
    return load_spm(f("spiece.model"), fam, &fc, options);
  }
  if (xlnet)
    throw Error("missing tokenizer file " + f("spiece.model") + ": " + cls_source + " is " + cls +
                ", which reads spiece.model (or tokenizer.json); copy the model's spiece.model into " + dir);
  if (is_file(f("sentencepiece.bpe.model")))
    return load_spm(f("sentencepiece.bpe.model"), TokenizerFamily::XlmRoberta, &fc, options);
  throw Error("no tokenizer files in " + dir +
              ": expected tokenizer.json, vocab.txt, vocab.json + merges.txt, spiece.model or "
              "sentencepiece.bpe.model");
}

std::unique_ptr<SubwordTokenizer> load_path(const std::string& path, const SubwordTokenizerOptions& options) {
  if (is_dir(path)) return load_folder(path, options);
  if (!is_file(path)) throw Error("tokenizer path not found: " + path);
  std::string name = base_name(path);
  if (ends_with(name, ".model"))
    return load_spm(path, TokenizerFamily::SentencePiece, nullptr, options);
  if (ends_with(name, ".txt")) return load_wordpiece_vocab(path, options.lowercase, nullptr, options);
  if (ends_with(name, ".json")) {
    // tokenizer.json has a "model" object; a vocab.json is a flat token -> id object.
    std::string head = read_file(path);
    bool is_vocab = false;
    try {
      Json j = parse_json_limited<Json>(head);
      is_vocab = j.is_object() && !(j.contains("model") && j["model"].is_object()) && !j.empty() &&
                 j.begin().value().is_number_integer();
    } catch (const std::exception& e) {
      throw Error("malformed JSON file " + path + ": " + e.what());
    }
    if (is_vocab) {
      std::string merges = options.merges.empty() ? dir_of(path) + "/merges.txt" : options.merges;
      return load_bpe_files(path, merges, nullptr, options);
    }
    return load_tokenizer_json(path, nullptr, options);
  }
  throw Error("cannot tell the tokenizer type of " + path +
              ": expected a model folder, tokenizer.json, vocab.txt, vocab.json or a .model file");
}

// `path: message` unless the message already names it (most do, with the exact file).
std::string naming(const std::string& path, const char* what) {
  std::string msg = what;
  return msg.find(path) == std::string::npos ? path + ": " + msg : msg;
}

}  // namespace

std::unique_ptr<SubwordTokenizer> load_subword_tokenizer(const std::string& path,
                                                         const SubwordTokenizerOptions& options) {
  if (path.empty()) throw Error("load_subword_tokenizer: empty path");
  // Every error names the tokenizer file or folder, whichever part of the loader found it.
  try {
    return load_path(path, options);
  } catch (const ValueError& e) {
    throw ValueError(naming(path, e.what()));
  } catch (const Error& e) {
    throw Error(naming(path, e.what()));
  } catch (const nlohmann::json::exception& e) {
    throw Error(naming(path, (std::string("malformed tokenizer file: ") + e.what()).c_str()));
  }
}

}  // namespace trfpipe
