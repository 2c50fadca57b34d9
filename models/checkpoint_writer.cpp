// Tiny Hugging Face checkpoints (config.json, model.safetensors, tokenizer files) for tests and
// `trfpipe init model`. Torch-free: the weights come from models::write_random_weights.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include "models/encoders_internal.hpp"
#include "pipeline/file_io.hpp"
#include "trfpipe/error.hpp"
#include "trfpipe/torch/hf_checkpoint.hpp"
#include "trfpipe/torch/hf_config.hpp"

namespace fs = std::filesystem;

namespace trfpipe {
namespace {

// The tokenizer files to copy, under their Hugging Face names.
struct TokenizerFiles {
  std::vector<std::pair<fs::path, std::string>> copies;  // source, name in the model folder
  std::string kind;                                        // wordpiece | bpe | spm | tokenizer.json
  fs::path vocab;                                          // the file the size is counted from
};

fs::path find_merges(const fs::path& dir) {
  if (fs::exists(dir / "merges.txt")) return dir / "merges.txt";
  std::vector<fs::path> bpe;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".bpe") bpe.push_back(e.path());
  if (bpe.size() == 1) return bpe[0];
  return {};
}

TokenizerFiles find_tokenizer(const std::string& path) {
  TokenizerFiles t;
  fs::path p(path);
  if (path.empty()) throw ValueError("a tokenizer file or folder is required (--tokenizer)");
  if (!fs::exists(p)) throw DataError(path, -1, "tokenizer path does not exist");
  if (fs::is_directory(p)) {
    if (fs::exists(p / "tokenizer.json")) t.copies.push_back({p / "tokenizer.json", "tokenizer.json"});
    if (fs::exists(p / "vocab.txt")) {
      t.kind = "wordpiece";
      t.vocab = p / "vocab.txt";
      t.copies.push_back({t.vocab, "vocab.txt"});
    } else if (fs::exists(p / "vocab.json") && fs::exists(p / "merges.txt")) {
      t.kind = "bpe";
      t.vocab = p / "vocab.json";
      t.copies.push_back({t.vocab, "vocab.json"});
      t.copies.push_back({p / "merges.txt", "merges.txt"});
    } else if (fs::exists(p / "spiece.model")) {
      t.kind = "spm";
      t.vocab = p / "spiece.model";
      t.copies.push_back({t.vocab, "spiece.model"});
    } else if (fs::exists(p / "tokenizer.json")) {
      t.kind = "tokenizer.json";
      t.vocab = p / "tokenizer.json";
    } else {
      throw DataError(path, -1,
                      "no tokenizer files found (vocab.txt, vocab.json + merges.txt, spiece.model or "
                      "tokenizer.json)");
    }
    return t;
  }
  std::string ext = p.extension().string();
  if (ext == ".txt") {
    t.kind = "wordpiece";
    t.vocab = p;
    t.copies.push_back({p, "vocab.txt"});
  } else if (ext == ".model") {
    t.kind = "spm";
    t.vocab = p;
    t.copies.push_back({p, "spiece.model"});
  } else if (ext == ".json") {
    nlohmann::json j;  // std::map-backed: ordered_json inserts in O(n) per key, too slow for 50k
    try {
      j = nlohmann::json::parse(read_file_bytes(p.string()));
    } catch (const nlohmann::json::parse_error& e) {
      throw DataError(path, -1, std::string("invalid JSON: ") + e.what());
    }
    if (j.is_object() && j.contains("model") && j["model"].is_object()) {
      t.kind = "tokenizer.json";
      t.vocab = p;
      t.copies.push_back({p, "tokenizer.json"});
    } else {
      fs::path merges = find_merges(p.parent_path().empty() ? fs::path(".") : p.parent_path());
      if (merges.empty())
        throw DataError(path, -1, "a BPE vocab.json needs a merges.txt (or one *.bpe file) beside it");
      t.kind = "bpe";
      t.vocab = p;
      t.copies.push_back({p, "vocab.json"});
      t.copies.push_back({merges, "merges.txt"});
    }
  } else {
    throw ValueError("unrecognised tokenizer file '" + path +
                     "' (expected vocab.txt, vocab.json, *.model or tokenizer.json)");
  }
  return t;
}

// The `pieces` (field 1) of a SentencePiece ModelProto, their text only (field 1 of a piece).
std::vector<std::string> spm_pieces(const fs::path& p) {
  std::string b = read_file_bytes(p.string());
  size_t i = 0;
  auto varint = [&]() -> uint64_t {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (i >= b.size()) throw DataError(p.string(), -1, "truncated SentencePiece model");
      uint8_t c = static_cast<uint8_t>(b[i++]);
      v |= uint64_t(c & 0x7f) << shift;
      if (!(c & 0x80)) return v;
    }
    throw DataError(p.string(), -1, "bad varint in SentencePiece model");
  };
  std::vector<std::string> pieces;
  // The text of one piece message: its first length-delimited field 1.
  auto piece_text = [&](size_t start, size_t end) {
    const size_t outer = i;
    i = start;
    std::string text;
    while (i < end) {
      uint64_t tag = varint();
      if ((tag & 7) == 2) {
        uint64_t len = varint();
        if (len > end - i) throw DataError(p.string(), -1, "truncated SentencePiece model");
        if ((tag >> 3) == 1) {
          text = b.substr(i, len);
          break;
        }
        i += len;
      } else if ((tag & 7) == 0) {
        varint();
      } else if ((tag & 7) == 5) {
        i += 4;
      } else if ((tag & 7) == 1) {
        i += 8;
      } else {
        break;
      }
    }
    i = outer;
    return text;
  };
  while (i < b.size()) {
    uint64_t tag = varint();
    switch (tag & 7) {
      case 0: varint(); break;
      case 1: i += 8; break;
      case 5: i += 4; break;
      case 2: {
        uint64_t len = varint();
        if (len > b.size() - i) throw DataError(p.string(), -1, "truncated SentencePiece model");
        if ((tag >> 3) == 1) pieces.push_back(piece_text(i, i + len));
        i += len;
      } break;
      default: throw DataError(p.string(), -1, "not a SentencePiece model (bad protobuf wire type)");
    }
  }
  if (i > b.size() || pieces.empty()) throw DataError(p.string(), -1, "not a SentencePiece model");
  return pieces;
}

int64_t count_spm_pieces(const fs::path& p) { return static_cast<int64_t>(spm_pieces(p).size()); }

// The id of `piece` in an XLNet tokenizer's files (spiece.model pieces, or a tokenizer.json's
// Unigram vocabulary and added tokens); -1 when absent.
int64_t piece_id(const TokenizerFiles& t, const std::string& piece) {
  if (t.kind == "spm") {
    auto pieces = spm_pieces(t.vocab);
    auto it = std::find(pieces.begin(), pieces.end(), piece);
    return it == pieces.end() ? -1 : static_cast<int64_t>(it - pieces.begin());
  }
  nlohmann::json j = nlohmann::json::parse(read_file_bytes(t.vocab.string()), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return -1;
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (auto& a : j["added_tokens"])
      if (a.value("content", std::string()) == piece && a.contains("id") && a["id"].is_number_integer())
        return a["id"].get<int64_t>();
  if (j.contains("model") && j["model"].contains("vocab") && j["model"]["vocab"].is_array()) {
    const auto& v = j["model"]["vocab"];
    for (size_t k = 0; k < v.size(); ++k)
      if (v[k].is_array() && !v[k].empty() && v[k][0] == piece) return static_cast<int64_t>(k);
  }
  return -1;
}

int64_t count_vocab(const TokenizerFiles& t) {
  if (t.kind == "wordpiece") {
    std::ifstream in(t.vocab);
    std::string line;
    int64_t n = 0;
    while (std::getline(in, line)) ++n;
    if (n == 0) throw DataError(t.vocab.string(), -1, "empty vocabulary");
    return n;
  }
  if (t.kind == "spm") return count_spm_pieces(t.vocab);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(read_file_bytes(t.vocab.string()));
  } catch (const nlohmann::json::parse_error& e) {
    throw DataError(t.vocab.string(), -1, std::string("invalid JSON: ") + e.what());
  }
  if (t.kind == "bpe") {
    if (!j.is_object() || j.empty()) throw DataError(t.vocab.string(), -1, "vocab.json must be a non-empty object");
    int64_t mx = -1;
    for (auto& v : j)
      if (v.is_number_integer()) mx = std::max<int64_t>(mx, v.get<int64_t>());
    return std::max<int64_t>(static_cast<int64_t>(j.size()), mx + 1);
  }
  // tokenizer.json: model.vocab (object for WordPiece/BPE, [piece, score] array for Unigram),
  // plus added tokens beyond it.
  int64_t n = 0;
  const auto& vocab = j["model"]["vocab"];
  if (vocab.is_object()) {
    for (auto& v : vocab)
      if (v.is_number_integer()) n = std::max<int64_t>(n, v.get<int64_t>() + 1);
  } else if (vocab.is_array()) {
    n = static_cast<int64_t>(vocab.size());
  } else {
    throw DataError(t.vocab.string(), -1, "tokenizer.json has no model.vocab");
  }
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (auto& a : j["added_tokens"])
      if (a.contains("id") && a["id"].is_number_integer()) n = std::max<int64_t>(n, a["id"].get<int64_t>() + 1);
  return n;
}

// RoBERTa's vocab.json starts with <s> <pad> </s> <unk> and ends with <mask>; a GPT-2 vocab.json
// (no such entries) is rewritten that way, shifting its ids by 4, so the special tokens resolve.
// Returns the new file's text, or "" when `vocab_json` already has them.
std::string roberta_vocab_from_gpt2(const fs::path& vocab_json) {
  nlohmann::json j = nlohmann::json::parse(read_file_bytes(vocab_json.string()));
  if (!j.is_object() || j.contains("<s>")) return "";
  std::vector<std::pair<int64_t, std::string>> by_id;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (!it.value().is_number_integer()) throw DataError(vocab_json.string(), -1, "vocab.json ids must be integers");
    by_id.emplace_back(it.value().get<int64_t>(), it.key());
  }
  std::sort(by_id.begin(), by_id.end());
  std::string out = "{\"<s>\": 0, \"<pad>\": 1, \"</s>\": 2, \"<unk>\": 3";
  int64_t next = 4;
  for (const auto& [id, tok] : by_id) out += ", " + nlohmann::json(tok).dump() + ": " + std::to_string(next++);
  out += ", \"<mask>\": " + std::to_string(next) + "}";
  return out;
}

bool vocab_is_uncased(const fs::path& vocab_txt) {
  std::ifstream in(vocab_txt);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] == '[') continue;  // [CLS], [unused0] …
    for (char c : line)
      if (std::isupper(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

void write_json(const fs::path& p, const Json& j) {
  std::ofstream out(p, std::ios::trunc);
  if (!out) throw DataError(p.string(), -1, "cannot open the file for writing");
  out << j.dump(2) << "\n";
  if (!out) throw DataError(p.string(), -1, "cannot write the file");
}

}  // namespace

std::vector<std::string> hf_checkpoint_archs() {
  return {"bert", "roberta", "distilbert", "albert", "electra", "gpt2", "xlnet"};
}

std::vector<std::string> write_hf_checkpoint(const std::string& out_dir, const HFCheckpointOptions& o) {
  auto archs = hf_checkpoint_archs();
  if (std::find(archs.begin(), archs.end(), o.arch) == archs.end()) {
    std::string list;
    for (const auto& a : archs) list += (list.empty() ? "" : ", ") + a;
    throw ValueError("unknown architecture '" + o.arch + "' (supported: " + list + ")");
  }
  if (o.layers <= 0 || o.width <= 0 || o.heads <= 0)
    throw ValueError("layers, width and heads must be positive");
  if (o.width % o.heads != 0)
    throw ValueError("width " + std::to_string(o.width) + " is not a multiple of heads " + std::to_string(o.heads));
  if (o.max_length < 0 || o.vocab_size < 0 || o.intermediate_size < 0)
    throw ValueError("max length, vocab size and intermediate size must not be negative");

  TokenizerFiles tok = find_tokenizer(o.tokenizer_path);
  const bool needs_wordpiece = o.arch == "bert" || o.arch == "distilbert" || o.arch == "electra";
  const bool needs_bpe = o.arch == "roberta" || o.arch == "gpt2";
  if (tok.kind != "tokenizer.json" &&
      ((needs_wordpiece && tok.kind != "wordpiece") || (needs_bpe && tok.kind != "bpe") ||
       ((o.arch == "albert" || o.arch == "xlnet") && tok.kind != "spm")))
    throw ValueError("tokenizer '" + o.tokenizer_path + "' (" + tok.kind + ") does not fit " + o.arch +
                     " (expected " + (needs_wordpiece ? "vocab.txt" : needs_bpe ? "vocab.json + merges.txt" : "spiece.model") +
                     " or tokenizer.json)");
  std::string roberta_vocab;  // a rewritten vocab.json, see roberta_vocab_from_gpt2
  if (o.arch == "roberta" && tok.kind == "bpe") {
    try {
      roberta_vocab = roberta_vocab_from_gpt2(tok.vocab);
    } catch (const nlohmann::json::parse_error& e) {
      throw DataError(tok.vocab.string(), -1, std::string("invalid JSON: ") + e.what());
    }
  }
  int64_t vocab = o.vocab_size;
  if (vocab <= 0) vocab = roberta_vocab.empty() ? count_vocab(tok) : count_vocab(tok) + 5;
  const int64_t inter = o.intermediate_size > 0 ? o.intermediate_size : 4 * o.width;
  const int64_t max_len = o.max_length > 0 ? o.max_length : (o.arch == "gpt2" ? 1024 : 512);

  Json c = Json::object();
  if (o.arch == "bert" || o.arch == "electra" || o.arch == "roberta" || o.arch == "albert") {
    const bool roberta = o.arch == "roberta";
    const char* arch_name = o.arch == "bert" ? "BertModel" : o.arch == "electra" ? "ElectraModel"
                            : roberta       ? "RobertaModel" : "AlbertModel";
    c["architectures"] = {arch_name};
    c["model_type"] = o.arch;
    c["attention_probs_dropout_prob"] = o.arch == "albert" ? 0.0 : 0.1;
    if (roberta) {
      c["bos_token_id"] = 0;
      c["eos_token_id"] = 2;
    }
    if (o.arch == "albert") {
      c["bos_token_id"] = 2;
      c["eos_token_id"] = 3;
      c["embedding_size"] = std::min<int64_t>(128, std::max<int64_t>(8, o.width / 2));
    }
    if (o.arch == "electra") c["embedding_size"] = std::max<int64_t>(8, o.width / 2);
    c["hidden_act"] = o.arch == "albert" ? "gelu_new" : "gelu";
    c["hidden_dropout_prob"] = o.arch == "albert" ? 0.0 : 0.1;
    c["hidden_size"] = o.width;
    c["initializer_range"] = 0.02;
    c["intermediate_size"] = inter;
    c["layer_norm_eps"] = roberta ? 1e-5 : 1e-12;
    c["max_position_embeddings"] = roberta ? max_len + 2 : max_len;
    c["num_attention_heads"] = o.heads;
    c["num_hidden_layers"] = o.layers;
    if (o.arch == "albert") {
      c["num_hidden_groups"] = 1;
      c["inner_group_num"] = 1;
    }
    c["pad_token_id"] = roberta ? 1 : 0;
    c["position_embedding_type"] = "absolute";
    c["type_vocab_size"] = roberta ? 1 : 2;
    c["vocab_size"] = vocab;
  } else if (o.arch == "distilbert") {
    c["architectures"] = {"DistilBertModel"};
    c["model_type"] = "distilbert";
    c["activation"] = "gelu";
    c["attention_dropout"] = 0.1;
    c["dim"] = o.width;
    c["dropout"] = 0.1;
    c["hidden_dim"] = inter;
    c["initializer_range"] = 0.02;
    c["max_position_embeddings"] = max_len;
    c["n_heads"] = o.heads;
    c["n_layers"] = o.layers;
    c["pad_token_id"] = 0;
    c["qa_dropout"] = 0.1;
    c["seq_classif_dropout"] = 0.2;
    c["sinusoidal_pos_embds"] = false;
    c["vocab_size"] = vocab;
  } else if (o.arch == "xlnet") {
    // The keys XLNetConfig.save_pretrained writes; <pad>, <s>, </s> ids from the tokenizer.
    for (const char* needed : {"<sep>", "<cls>"})
      if (piece_id(tok, needed) < 0)
        throw ValueError("tokenizer '" + o.tokenizer_path + "' has no " + needed +
                         " piece, which XLNet's template (A <sep> <cls>) needs");
    auto id_or = [&](const char* piece, int64_t fallback) {
      const int64_t id = piece_id(tok, piece);
      return id >= 0 ? id : fallback;
    };
    c["architectures"] = {"XLNetModel"};
    c["model_type"] = "xlnet";
    c["attn_type"] = "bi";
    c["bi_data"] = false;
    c["bos_token_id"] = id_or("<s>", 1);
    c["clamp_len"] = -1;
    c["d_head"] = o.width / o.heads;
    c["d_inner"] = inter;
    c["d_model"] = o.width;
    c["dropout"] = 0.1;
    c["eos_token_id"] = id_or("</s>", 2);
    c["ff_activation"] = "gelu";
    c["initializer_range"] = 0.02;
    c["layer_norm_eps"] = 1e-12;
    c["mem_len"] = nullptr;
    c["n_head"] = o.heads;
    c["n_layer"] = o.layers;
    c["pad_token_id"] = id_or("<pad>", 5);
    c["reuse_len"] = nullptr;
    c["same_length"] = false;
    c["vocab_size"] = vocab;
  } else {  // gpt2
    c["architectures"] = {"GPT2Model"};
    c["model_type"] = "gpt2";
    c["activation_function"] = "gelu_new";
    c["attn_pdrop"] = 0.1;
    c["bos_token_id"] = vocab - 1;
    c["embd_pdrop"] = 0.1;
    c["eos_token_id"] = vocab - 1;
    c["initializer_range"] = 0.02;
    c["layer_norm_epsilon"] = 1e-5;
    c["n_ctx"] = max_len;
    c["n_embd"] = o.width;
    c["n_head"] = o.heads;
    c["n_inner"] = o.intermediate_size > 0 ? Json(inter) : Json(nullptr);
    c["n_layer"] = o.layers;
    c["n_positions"] = max_len;
    c["resid_pdrop"] = 0.1;
    c["vocab_size"] = vocab;
  }
  HFConfig cfg = HFConfig::from_json(c);  // validates what we are about to write

  fs::path dir(out_dir);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw DataError(out_dir, -1, "cannot create the folder: " + ec.message());
  std::vector<std::string> written;
  write_json(dir / "config.json", c);
  written.push_back((dir / "config.json").string());
  models::write_random_weights(cfg, o.seed, (dir / "model.safetensors").string());
  written.push_back((dir / "model.safetensors").string());
  for (const auto& [src, name] : tok.copies) {
    if (name == "vocab.json" && !roberta_vocab.empty()) {
      std::ofstream out(dir / name, std::ios::trunc);
      out << roberta_vocab << "\n";
      if (!out) throw DataError((dir / name).string(), -1, "cannot write the file");
      written.push_back((dir / name).string());
      continue;
    }
    fs::copy_file(src, dir / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw DataError((dir / name).string(), -1, "cannot copy the tokenizer file: " + ec.message());
    written.push_back((dir / name).string());
  }
  Json tc = Json::object();
  // XLNet has no position table: without --max-length its tokenizer has no limit either (HF).
  if (o.arch != "xlnet" || o.max_length > 0) tc["model_max_length"] = max_len;
  if (o.arch == "bert" || o.arch == "distilbert" || o.arch == "electra") {
    tc["tokenizer_class"] = o.arch == "bert" ? "BertTokenizer" : o.arch == "distilbert" ? "DistilBertTokenizer"
                                                                                       : "ElectraTokenizer";
    tc["do_lower_case"] = tok.kind == "wordpiece" ? vocab_is_uncased(tok.vocab) : true;
  } else if (o.arch == "roberta") {
    tc["tokenizer_class"] = "RobertaTokenizer";
  } else if (o.arch == "gpt2") {
    tc["tokenizer_class"] = "GPT2Tokenizer";
  } else if (o.arch == "xlnet") {
    tc["tokenizer_class"] = "XLNetTokenizer";
    tc["do_lower_case"] = false;
    tc["remove_space"] = true;
    tc["keep_accents"] = false;
    tc["padding_side"] = "left";
  } else {
    tc["tokenizer_class"] = "AlbertTokenizer";
    tc["do_lower_case"] = true;
  }
  write_json(dir / "tokenizer_config.json", tc);
  written.push_back((dir / "tokenizer_config.json").string());
  return written;
}

std::vector<std::string> write_hf_checkpoint(const std::string& out_dir, const std::string& arch, int64_t layers,
                                             int64_t width, int64_t heads, const std::string& tokenizer_path,
                                             uint64_t seed) {
  HFCheckpointOptions o;
  o.arch = arch;
  o.layers = layers;
  o.width = width;
  o.heads = heads;
  o.tokenizer_path = tokenizer_path;
  o.seed = seed;
  return write_hf_checkpoint(out_dir, o);
}

}  // namespace trfpipe
