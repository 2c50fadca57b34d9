/* The C ABI of libtrfpipe_sentencepiece.so, the only code that touches libsentencepiece (and
 * with it Debian's protobuf 3.14, which must never meet libtorch's protobuf in one symbol
 * namespace). The tokenization library dlopen()s the shim with RTLD_LOCAL | RTLD_DEEPBIND.
 * Strings are UTF-8 and not NUL-terminated unless stated; no C++ type crosses the boundary. */
#ifndef TRFPIPE_SENTENCEPIECE_ABI_H
#define TRFPIPE_SENTENCEPIECE_ABI_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TRFPIPE_SPM_ABI_VERSION 1

/* Piece types (trfpipe_spm_piece_type). */
#define TRFPIPE_SPM_NORMAL 0
#define TRFPIPE_SPM_UNKNOWN 1
#define TRFPIPE_SPM_CONTROL 2
#define TRFPIPE_SPM_UNUSED 3
#define TRFPIPE_SPM_BYTE 4

/* Called once per piece: id, piece string, byte offsets [begin, end) into the input. */
typedef void (*trfpipe_spm_emit_fn)(void* ctx, int id, const char* piece, size_t piece_len,
                                    uint32_t begin, uint32_t end);

typedef int (*trfpipe_spm_abi_version_fn)(void);
/* Loads a serialized ModelProto (the bytes of a .model file). NULL on failure, with a
 * NUL-terminated message in err (err_size bytes). */
typedef void* (*trfpipe_spm_load_fn)(const char* data, size_t size, char* err, size_t err_size);
typedef void (*trfpipe_spm_free_fn)(void* model);
typedef int (*trfpipe_spm_vocab_size_fn)(const void* model);
/* -1 when the piece is not in the vocabulary (SentencePiece itself answers unk_id). */
typedef int (*trfpipe_spm_piece_to_id_fn)(const void* model, const char* piece, size_t size);
/* Pointer valid while the model lives; NULL for an id out of range. */
typedef const char* (*trfpipe_spm_id_to_piece_fn)(const void* model, int id, size_t* size);
typedef int (*trfpipe_spm_piece_type_fn)(const void* model, int id);
/* 0 on success; else non-zero with a message in err. Thread-safe (read-only model). */
typedef int (*trfpipe_spm_encode_fn)(const void* model, const char* text, size_t size,
                                     trfpipe_spm_emit_fn emit, void* ctx, char* err,
                                     size_t err_size);

#ifdef __cplusplus
}
#endif
#endif
