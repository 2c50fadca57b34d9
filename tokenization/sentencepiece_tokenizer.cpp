#include "tokenization/sentencepiece_tokenizer.hpp"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "tokenization/subword_unicode.hpp"
#include "trfpipe/error.hpp"

#ifndef TRFPIPE_SPM_SHIM_NAME
#define TRFPIPE_SPM_SHIM_NAME "libtrfpipe_sentencepiece.so"
#endif

namespace trfpipe::subword {
namespace {

bool file_exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

std::string dir_of(const std::string& p) {
  auto slash = p.rfind('/');
  return slash == std::string::npos ? std::string(".") : p.substr(0, slash);
}

// Opens one candidate and resolves every symbol; "" on success, else why not.
std::string try_open(const std::string& path, SpmApi& api) {
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
  if (!h) {
    const char* e = ::dlerror();
    return e ? e : "dlopen failed";
  }
  auto sym = [&](const char* name) { return ::dlsym(h, name); };
  auto version = reinterpret_cast<trfpipe_spm_abi_version_fn>(sym("trfpipe_spm_abi_version"));
  if (!version || version() != TRFPIPE_SPM_ABI_VERSION) {
    ::dlclose(h);
    return "not a trfpipe SentencePiece shim of ABI version " +
           std::to_string(TRFPIPE_SPM_ABI_VERSION);
  }
  api.load = reinterpret_cast<trfpipe_spm_load_fn>(sym("trfpipe_spm_load"));
  api.free = reinterpret_cast<trfpipe_spm_free_fn>(sym("trfpipe_spm_free"));
  api.vocab_size = reinterpret_cast<trfpipe_spm_vocab_size_fn>(sym("trfpipe_spm_vocab_size"));
  api.piece_to_id = reinterpret_cast<trfpipe_spm_piece_to_id_fn>(sym("trfpipe_spm_piece_to_id"));
  api.id_to_piece = reinterpret_cast<trfpipe_spm_id_to_piece_fn>(sym("trfpipe_spm_id_to_piece"));
  api.piece_type = reinterpret_cast<trfpipe_spm_piece_type_fn>(sym("trfpipe_spm_piece_type"));
  api.encode = reinterpret_cast<trfpipe_spm_encode_fn>(sym("trfpipe_spm_encode"));
  if (!api.load || !api.free || !api.vocab_size || !api.piece_to_id || !api.id_to_piece ||
      !api.piece_type || !api.encode) {
    ::dlclose(h);
    return "missing trfpipe_spm_* symbols";
  }
  api.path = path;
  return "";  // the handle stays open for the life of the process
}

}  // namespace

const SpmApi& sentencepiece_api() {
  static std::mutex mu;
  static std::map<std::string, SpmApi> loaded;  // by path; entries never move or die
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::string> candidates;
  const char* env = std::getenv("TRFPIPE_SENTENCEPIECE_SHIM");
  bool from_env = env && *env;
  if (from_env) {
    candidates.push_back(env);
  } else {
    Dl_info info;
    if (::dladdr(reinterpret_cast<void*>(&sentencepiece_api), &info) && info.dli_fname) {
      std::string dir = dir_of(info.dli_fname);
      candidates.push_back(dir + "/" TRFPIPE_SPM_SHIM_NAME);
      candidates.push_back(dir + "/../lib/" TRFPIPE_SPM_SHIM_NAME);
    }
#ifdef TRFPIPE_SPM_BUILD_LIB_DIR
    candidates.push_back(TRFPIPE_SPM_BUILD_LIB_DIR "/" TRFPIPE_SPM_SHIM_NAME);
#endif
    candidates.push_back(TRFPIPE_SPM_SHIM_NAME);  // rpath / LD_LIBRARY_PATH
  }
  std::string tried;
  for (const auto& c : candidates) {
    auto it = loaded.find(c);
    if (it != loaded.end()) return it->second;
    bool plain = c.find('/') == std::string::npos;
    if (!plain && !file_exists(c)) {
      tried += "\n  " + c + " (no such file)";
      continue;
    }
    SpmApi api;
    std::string why = try_open(c, api);
    if (why.empty()) return loaded.emplace(c, api).first->second;
    tried += "\n  " + c + " (" + why + ")";
  }
  throw Error(std::string("SentencePiece support library " TRFPIPE_SPM_SHIM_NAME " not found") +
              (from_env ? " at $TRFPIPE_SENTENCEPIECE_SHIM" : "") + "; tried:" + tried +
              "\nSet TRFPIPE_SENTENCEPIECE_SHIM to its path.");
}

SentencePieceTokenizer::SentencePieceTokenizer(std::string model_bytes, SentencePieceOptions options)
    : api_(sentencepiece_api()), bytes_(std::move(model_bytes)), opt_(std::move(options)) {
  char err[512] = {0};
  model_ = api_.load(bytes_.data(), bytes_.size(), err, sizeof(err));
  if (!model_) throw Error(std::string("SentencePiece: cannot load the model: ") + err);
  int n = api_.vocab_size(model_);
  if (opt_.fairseq_ids) {
    pieces_ = {"<s>", "<pad>", "</s>", "<unk>"};
    for (int i = 3; i < n; ++i) {  // spm 0..2 are <unk> <s> </s>; fairseq shifts the rest by 1
      size_t len = 0;
      const char* p = api_.id_to_piece(model_, i, &len);
      pieces_.emplace_back(p, len);
    }
    pieces_.emplace_back("<mask>");
  } else {
    pieces_.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      size_t len = 0;
      const char* p = api_.id_to_piece(model_, i, &len);
      pieces_.emplace_back(p ? std::string(p, len) : std::string());
    }
  }
}

SentencePieceTokenizer::~SentencePieceTokenizer() {
  if (model_) api_.free(model_);
}

int64_t SentencePieceTokenizer::model_token_to_id(std::string_view token) const {
  if (opt_.fairseq_ids) {
    for (int64_t i = 0; i < 4; ++i)
      if (pieces_[static_cast<size_t>(i)] == token) return i;
    if (token == "<mask>") return static_cast<int64_t>(pieces_.size()) - 1;
  }
  int id = api_.piece_to_id(model_, token.data(), token.size());
  if (id < 0) return -1;
  if (opt_.fairseq_ids) return id < 3 ? (id == 0 ? 3 : -1) : id + 1;
  return id;
}

const std::string* SentencePieceTokenizer::model_id_to_token(int64_t id) const {
  return token_at(pieces_, id);
}

namespace {
struct EmitCtx {
  Encoding* out;
  size_t base;
  bool fairseq;
  const std::vector<int64_t>* start_map;  // lowered byte -> original byte (size n+1) or null
  const std::vector<int64_t>* end_map;
};

void emit_piece(void* p, int id, const char* piece, size_t len, uint32_t begin, uint32_t end) {
  auto* c = static_cast<EmitCtx*>(p);
  int64_t out_id = id;
  if (c->fairseq) out_id = id == 0 ? 3 : (id < 3 ? (id == 1 ? 0 : 2) : id + 1);
  int64_t b = begin, e = end;
  if (c->start_map) {
    b = (*c->start_map)[begin];
    e = end == begin ? b : (*c->end_map)[end];
  }
  c->out->ids.push_back(out_id);
  c->out->tokens.emplace_back(piece, len);
  c->out->offsets.emplace_back(static_cast<int64_t>(c->base) + b, static_cast<int64_t>(c->base) + e);
}
}  // namespace

void SentencePieceTokenizer::encode_segment(std::string_view text, size_t base, Encoding& out) const {
  char err[512] = {0};
  EmitCtx ctx{&out, base, opt_.fairseq_ids, nullptr, nullptr};
  std::string lowered;
  std::vector<int64_t> smap, emap;
  std::string_view input = text;
  if (opt_.lowercase) {
    // Lowercase char by char, remembering where each lowered byte came from.
    const auto* s = reinterpret_cast<const unsigned char*>(text.data());
    size_t n = text.size();
    lowered.reserve(n);
    smap.reserve(n + 1);
    emap.reserve(n + 1);
    for (size_t i = 0; i < n;) {
      size_t len = 0;
      uint32_t cp = decode_utf8(s, n, i, len);
      uint32_t lc[3];
      int k = (char_flags(cp) & kHasLower) ? to_lowercase(cp, lc) : (lc[0] = cp, 1);
      for (int m = 0; m < k; ++m) {
        size_t before = lowered.size();
        append_utf8(lowered, lc[m]);
        for (size_t q = before; q < lowered.size(); ++q) {
          smap.push_back(static_cast<int64_t>(i));
          emap.push_back(static_cast<int64_t>(i + len));
        }
      }
      i += len;
    }
    // end offset e maps through the byte before it; start offset through itself.
    std::vector<int64_t> end_at(lowered.size() + 1, 0);
    for (size_t q = 1; q <= lowered.size(); ++q) end_at[q] = emap[q - 1];
    smap.push_back(static_cast<int64_t>(n));
    emap.swap(end_at);
    ctx.start_map = &smap;
    ctx.end_map = &emap;
    input = lowered;
  }
  if (api_.encode(model_, input.data(), input.size(), &emit_piece, &ctx, err, sizeof(err)) != 0)
    throw Error(std::string("SentencePiece: encoding failed: ") + err);
}

void SentencePieceTokenizer::save(const std::string& dir) const {
  make_dir(dir);
  write_file(dir + "/" + opt_.model_file_name, bytes_);
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  extra["do_lower_case"] = opt_.lowercase;
  const char* cls = "PreTrainedTokenizerFast";
  switch (family_) {
    case TokenizerFamily::Albert: cls = "AlbertTokenizer"; break;
    case TokenizerFamily::XlmRoberta: cls = "XLMRobertaTokenizer"; break;
    case TokenizerFamily::Xlnet: cls = "XLNetTokenizer"; break;
    default: break;
  }
  save_config(dir, cls, extra);
}

}  // namespace trfpipe::subword
