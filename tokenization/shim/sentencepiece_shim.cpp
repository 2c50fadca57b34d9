// Placeholder: the SentencePiece shim (C ABI over libsentencepiece) is written with the
// subword tokenizers.
extern "C" int trfpipe_spm_abi_version() { return 0; }
