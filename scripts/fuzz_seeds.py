#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (scripts/fuzz.sh), made at run time from real files.

    fuzz_seeds.py TARGET SHARED_DIR REPO_DIR OUT_DIR

Reads ../shared/data (and, for the checkpoint readers, the Hugging Face-made fixtures in
tests/models/fixtures, as ../shared has no checkpoints) and writes small seeds into OUT_DIR: the
first lines of corpora, tokenizers cut to a few hundred entries, a DocBin's msgpack message, a
checkpoint's data.pkl. Nothing is written into the repository. Standard library only.
"""
import json
import os
import struct
import sys
import zipfile
import zlib


def write(out, name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)


def head_lines(path, n, start=0):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    return "\n".join(lines[start:start + n]) + "\n"


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- protobuf (SentencePiece ModelProto) ----------------------------------------------------

def varint(b, i):
    v = shift = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """(field, wire, raw bytes of the whole field) of a message, in order."""
    i = 0
    while i < len(b):
        start = i
        key, i = varint(b, i)
        wire = key & 7
        if wire == 0:
            _, i = varint(b, i)
        elif wire == 1:
            i += 8
        elif wire == 2:
            n, i = varint(b, i)
            i += n
        elif wire == 5:
            i += 4
        else:
            raise ValueError("wire type %d" % wire)
        yield key >> 3, wire, b[start:i]


def payload(raw):
    """The bytes of a length-delimited field."""
    _, i = varint(raw, 0)
    _, i = varint(raw, i)
    return raw[i:]


def spm_pieces(model):
    """[(piece, score, type)] of a ModelProto."""
    out = []
    for f, w, raw in fields(model):
        if f == 1 and w == 2:
            piece, score, kind = "", 0.0, 1
            for g, v, r in fields(payload(raw)):
                if g == 1:
                    piece = payload(r).decode("utf-8")
                elif g == 2:
                    score = struct.unpack("<f", r[1:5])[0]
                elif g == 3:
                    kind = varint(r, 1)[0]
            out.append((piece, score, kind))
    return out


def trimmed_spm(model, n):
    """The model with its first n pieces only and no precompiled charsmap (every other field
    kept; the 240 KB charsmap would slow every run down)."""
    out, kept = b"", 0
    for f, w, raw in fields(model):
        if f == 1 and w == 2:
            kept += 1
            if kept > n:
                continue
        if f == 3 and w == 2:  # NormalizerSpec without field 2 (precompiled_charsmap)
            spec = b"".join(r for g, v, r in fields(payload(raw)) if g != 2)
            raw = bytes([raw[0]]) + encode_varint(len(spec)) + spec
        out += raw
    return out


def encode_varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        out += bytes([b | (0x80 if v else 0)])
        if not v:
            return out


# ---- tokenizers -----------------------------------------------------------------------------

def trimmed_bpe(vocab, merges, n):
    """The first n vocabulary entries and the merges among them."""
    keep = dict(sorted(vocab.items(), key=lambda kv: kv[1])[:n])
    kept = []
    for m in merges:
        a, b = m.split(" ", 1) if isinstance(m, str) else m
        if a in keep and b in keep and a + b in keep:
            kept.append(m)
    return keep, kept


def seeds(target, shared, repo, out):
    data = os.path.join(shared, "data")
    tok = os.path.join(data, "tokenizers")
    golden = os.path.join(data, "golden", "tokenization")
    corpora = os.path.join(data, "corpora")
    fixtures = os.path.join(repo, "tests", "models", "fixtures")
    if target in ("cfg", "toml"):
        for name in sorted(os.listdir(os.path.join(data, "configs"))):
            if name.endswith(".cfg"):
                write(out, name, read(os.path.join(data, "configs", name)))
    elif target in ("msgpack", "docbin"):
        spacy = read(os.path.join(data, "docbin", "spacy-ner-example.spacy"))
        write(out, "spacy-ner-example.msgpack", zlib.decompress(spacy))
        if target == "docbin":
            write(out, "spacy-ner-example.raw", b"x" + spacy)
    elif target == "conllu":
        ud = os.path.join(corpora, "ud_english_ewt", "en_ewt-ud-dev.conllu")
        for k in range(4):
            write(out, "ewt-%d.conllu" % k, head_lines(ud, 120, 120 * k))
    elif target == "iob":
        write(out, "wnut17.conll", head_lines(os.path.join(corpora, "wnut17", "wnut17train.conll"), 150))
        write(out, "uner.iob2", head_lines(os.path.join(corpora, "uner_english_ewt", "en_ewt-ud-dev.iob2"), 150))
        # sentence-per-line word|tag|IOB, built from the WNUT lines
        rows, sent = [], []
        for line in head_lines(os.path.join(corpora, "wnut17", "wnut17train.conll"), 300).split("\n"):
            parts = line.split()
            if len(parts) >= 2:
                sent.append("%s|X|%s" % (parts[0], parts[-1]))
            elif sent:
                rows.append(" ".join(sent))
                sent = []
        write(out, "wnut17-lines.iob", "\n".join(rows) + "\n")
    elif target == "jsonl":
        write(out, "texts.jsonl", head_lines(os.path.join(golden, "texts.jsonl"), 40))
        labels = read(os.path.join(corpora, "goemotions", "labels.txt")).decode().split()
        rows = []
        for line in head_lines(os.path.join(corpora, "goemotions", "dev.tsv"), 30).split("\n"):
            parts = line.split("\t")
            if len(parts) >= 2:
                cats = {labels[int(i)]: 1.0 for i in parts[1].split(",") if i.isdigit() and int(i) < len(labels)}
                rows.append(json.dumps({"text": parts[0], "cats": cats}))
        write(out, "goemotions.jsonl", "\n".join(rows) + "\n")
        with open(os.path.join(data, "text", "moby-dick.jsonl"), encoding="utf-8") as f:
            first = json.loads(f.readline())
        write(out, "moby.jsonl", json.dumps({"text": first["text"][:600], "meta": first.get("meta")}) + "\n")
    elif target == "vocab_txt":
        write(out, "bert-vocab.txt", head_lines(os.path.join(tok, "bert-base-uncased-vocab.txt"), 1200))
    elif target == "bpe_files":
        with open(os.path.join(tok, "gpt2-encoder.json"), encoding="utf-8") as f:
            vocab = json.load(f)
        merges = read(os.path.join(tok, "gpt2-vocab.bpe")).decode("utf-8").split("\n")
        merges = [m for m in merges[1:] if m.count(" ") == 1]
        keep, kept = trimmed_bpe(vocab, merges, 600)
        write(out, "gpt2.bpe", json.dumps(keep, ensure_ascii=False) + "\0#version: 0.2\n" + "\n".join(kept) + "\n")
    elif target == "tokenizer_json":
        bert = json.load(open(os.path.join(golden, "bert-base-uncased.tokenizer.json"), encoding="utf-8"))
        bert["model"]["vocab"] = dict(sorted(bert["model"]["vocab"].items(), key=lambda kv: kv[1])[:1200])
        write(out, "bert.tokenizer.json", json.dumps(bert, ensure_ascii=False))
        gpt2 = json.load(open(os.path.join(golden, "gpt2.tokenizer.json"), encoding="utf-8"))
        gpt2["model"]["vocab"], gpt2["model"]["merges"] = trimmed_bpe(gpt2["model"]["vocab"], gpt2["model"]["merges"], 600)
        write(out, "gpt2.tokenizer.json", json.dumps(gpt2, ensure_ascii=False))
        # A Unigram tokenizer.json as trfpipe converts a SentencePiece model (albert, 400 pieces).
        # (Without albert's 240 KB precompiled charsmap: large seeds slow every run down.)
        model = read(os.path.join(tok, "albert-30k-clean.model"))
        pieces = spm_pieces(model)[:400]
        unigram = {
            "version": "1.0", "truncation": None, "padding": None,
            "added_tokens": [{"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
                              "normalized": False, "special": True} for i, (p, s, t) in enumerate(pieces) if t in (2, 3)],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFKC"},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
                {"type": "Strip", "strip_left": True, "strip_right": True},
                {"type": "Lowercase"}]},
            "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": False},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}]},
            "decoder": None,
            "model": {"type": "Unigram", "unk_id": 1, "byte_fallback": False,
                      "vocab": [[p, s] for p, s, t in pieces]},
        }
        write(out, "albert-unigram.tokenizer.json", json.dumps(unigram, ensure_ascii=False))
    elif target == "spm_model":
        write(out, "albert-400.model", trimmed_spm(read(os.path.join(tok, "albert-30k-clean.model")), 400))
    elif target == "hf_config":
        for name in sorted(os.listdir(fixtures)):
            p = os.path.join(fixtures, name, "config.json")
            if os.path.exists(p):
                write(out, name + ".config.json", read(p))
    elif target == "safetensors":
        for name in sorted(os.listdir(fixtures)):
            p = os.path.join(fixtures, name, "model.safetensors")
            if os.path.exists(p):
                write(out, name + ".safetensors", read(p))
    elif target == "torch_bin":
        path = os.path.join(fixtures, "bert-mlm-bin", "pytorch_model.bin")
        write(out, "bert-mlm.bin", read(path))
        with zipfile.ZipFile(path) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
            write(out, "bert-mlm.data.pkl", z.read(pkl))
    elif target == "serve_request":
        # POST /parse and /render bodies over real sentences (golden texts: many scripts, emoji)
        texts = [json.loads(line)["text"] for line in
                 head_lines(os.path.join(golden, "texts.jsonl"), 12).split("\n") if line.strip()]
        write(out, "parse.json", json.dumps({"texts": texts[:4]}))
        write(out, "parse-attrs.json", json.dumps(
            {"texts": texts[4:8], "attributes": ["ents", "tokens", "sents"], "include_trf": True}))
        write(out, "render.json", json.dumps({"text": texts[8] if len(texts) > 8 else "Hello."}))
    else:
        raise SystemExit("unknown fuzz target " + target)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    target, shared, repo, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    seeds(target, shared, repo, out)
