// SentencePiece models (unigram and BPE) through libtrfpipe_sentencepiece.so, loaded with
// dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) so libsentencepiece's protobuf never meets
// libtorch's. Search order: $TRFPIPE_SENTENCEPIECE_SHIM (a file; when set it must work), the
// directory of the module holding this code and its ../lib, the build's lib directory, then the
// plain library name (rpath / LD_LIBRARY_PATH).
#pragma once
#include <string>
#include <vector>

#include "tokenization/shim/sentencepiece_abi.h"
#include "tokenization/subword_model.hpp"

namespace trfpipe::subword {

struct SpmApi {
  std::string path;  // where the shim was found
  trfpipe_spm_load_fn load = nullptr;
  trfpipe_spm_free_fn free = nullptr;
  trfpipe_spm_vocab_size_fn vocab_size = nullptr;
  trfpipe_spm_piece_to_id_fn piece_to_id = nullptr;
  trfpipe_spm_id_to_piece_fn id_to_piece = nullptr;
  trfpipe_spm_piece_type_fn piece_type = nullptr;
  trfpipe_spm_encode_fn encode = nullptr;
};

// The shim's functions; throws trfpipe::Error listing every place tried when it is not found.
const SpmApi& sentencepiece_api();

struct SentencePieceOptions {
  bool lowercase = false;  // lowercase the text before the model (HF ALBERT do_lower_case)
  bool fairseq_ids = false;  // XLM-R: <s>=0 <pad>=1 </s>=2 <unk>=3, other ids + 1, <mask> last
  std::string model_file_name = "spiece.model";
};

class SentencePieceTokenizer : public ModelTokenizer {
 public:
  SentencePieceTokenizer(std::string model_bytes, SentencePieceOptions options);
  ~SentencePieceTokenizer() override;
  SentencePieceTokenizer(const SentencePieceTokenizer&) = delete;
  SentencePieceTokenizer& operator=(const SentencePieceTokenizer&) = delete;
  void save(const std::string& dir) const override;

 protected:
  void encode_segment(std::string_view text, size_t base, Encoding& out) const override;
  int64_t model_token_to_id(std::string_view token) const override;
  const std::string* model_id_to_token(int64_t id) const override;
  size_t model_vocab_size() const override { return pieces_.size(); }

 private:
  const SpmApi& api_;
  std::string bytes_;
  SentencePieceOptions opt_;
  void* model_ = nullptr;
  std::vector<std::string> pieces_;  // by (shifted) id
};

}  // namespace trfpipe::subword
