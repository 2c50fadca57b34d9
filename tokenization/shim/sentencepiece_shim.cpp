// libtrfpipe_sentencepiece.so: a C ABI over libsentencepiece (see sentencepiece_abi.h). Built
// with hidden visibility; only the trfpipe_spm_* functions are exported.
#include <sentencepiece_processor.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "tokenization/shim/sentencepiece_abi.h"

#define TRFPIPE_SPM_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

void set_error(char* err, size_t err_size, const std::string& message) {
  if (!err || err_size == 0) return;
  size_t n = std::min(message.size(), err_size - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

const sentencepiece::SentencePieceProcessor* proc(const void* model) {
  return static_cast<const sentencepiece::SentencePieceProcessor*>(model);
}

}  // namespace

TRFPIPE_SPM_EXPORT int trfpipe_spm_abi_version() { return TRFPIPE_SPM_ABI_VERSION; }

TRFPIPE_SPM_EXPORT void* trfpipe_spm_load(const char* data, size_t size, char* err,
                                          size_t err_size) {
  try {
    auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
    auto status = sp->LoadFromSerializedProto(absl::string_view(data, size));
    if (!status.ok()) {
      set_error(err, err_size, status.ToString());
      return nullptr;
    }
    return sp.release();
  } catch (const std::exception& e) {
    set_error(err, err_size, e.what());
    return nullptr;
  }
}

TRFPIPE_SPM_EXPORT void trfpipe_spm_free(void* model) {
  delete static_cast<sentencepiece::SentencePieceProcessor*>(model);
}

TRFPIPE_SPM_EXPORT int trfpipe_spm_vocab_size(const void* model) {
  return proc(model)->GetPieceSize();
}

TRFPIPE_SPM_EXPORT int trfpipe_spm_piece_to_id(const void* model, const char* piece, size_t size) {
  const auto* sp = proc(model);
  int id = sp->PieceToId(absl::string_view(piece, size));
  if (sp->IsUnknown(id) && sp->IdToPiece(id) != std::string(piece, size)) return -1;
  return id;
}

TRFPIPE_SPM_EXPORT const char* trfpipe_spm_id_to_piece(const void* model, int id, size_t* size) {
  const auto* sp = proc(model);
  if (id < 0 || id >= sp->GetPieceSize()) return nullptr;
  const std::string& s = sp->IdToPiece(id);
  if (size) *size = s.size();
  return s.c_str();
}

TRFPIPE_SPM_EXPORT int trfpipe_spm_piece_type(const void* model, int id) {
  const auto* sp = proc(model);
  if (id < 0 || id >= sp->GetPieceSize()) return -1;
  if (sp->IsUnknown(id)) return TRFPIPE_SPM_UNKNOWN;
  if (sp->IsControl(id)) return TRFPIPE_SPM_CONTROL;
  if (sp->IsUnused(id)) return TRFPIPE_SPM_UNUSED;
  if (sp->IsByte(id)) return TRFPIPE_SPM_BYTE;
  return TRFPIPE_SPM_NORMAL;
}

TRFPIPE_SPM_EXPORT int trfpipe_spm_encode(const void* model, const char* text, size_t size,
                                          trfpipe_spm_emit_fn emit, void* ctx, char* err,
                                          size_t err_size) {
  try {
    sentencepiece::ImmutableSentencePieceText spt;
    auto status = proc(model)->Encode(absl::string_view(text, size), spt.mutable_proto());
    if (!status.ok()) {
      set_error(err, err_size, status.ToString());
      return 1;
    }
    for (const auto& p : spt.pieces()) {
      const std::string& piece = p.piece();
      emit(ctx, static_cast<int>(p.id()), piece.data(), piece.size(), p.begin(), p.end());
    }
    return 0;
  } catch (const std::exception& e) {
    set_error(err, err_size, e.what());
    return 1;
  }
}
