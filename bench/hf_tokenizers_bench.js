// Hugging Face tokenizers (Rust, through the @anush008/tokenizers Node binding) on a JSONL corpus,
// single-threaded: one encode() at a time, and encodeBatch() with RAYON_NUM_THREADS=1 (set by
// tokenizer_bench.sh). Prints one JSON line of results; writes the ids of every text (one JSON
// array per line) for the parity check against the C++ bench.
//   node hf_tokenizers_bench.js TOKENIZER_JSON CORPUS_JSONL IDS_OUT [REPEATS]
"use strict";
const fs = require("fs");
const path = require("path");
const { Tokenizer } = require(path.join(__dirname, "node", "node_modules", "@anush008", "tokenizers"));

async function main() {
  const [tokPath, corpusPath, idsOut, repeatsArg] = process.argv.slice(2);
  if (!tokPath || !corpusPath || !idsOut) {
    console.error("usage: node hf_tokenizers_bench.js TOKENIZER_JSON CORPUS_JSONL IDS_OUT [REPEATS]");
    process.exit(2);
  }
  const repeats = parseInt(repeatsArg || "3", 10);
  const texts = fs.readFileSync(corpusPath, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l).text);
  const bytes = texts.reduce((n, t) => n + Buffer.byteLength(t, "utf8"), 0);
  const tok = Tokenizer.fromFile(tokPath);

  // Warm-up and the ids for the parity check.
  const encs = [];
  for (const t of texts) encs.push(await tok.encode(t));
  let tokens = 0;
  const lines = encs.map((e) => {
    const ids = e.getIds();
    tokens += ids.length;
    return JSON.stringify(ids);
  });
  fs.writeFileSync(idsOut, lines.join("\n") + "\n");

  // Wall clock and process CPU time (user + system, all threads): on a shared machine the CPU
  // time is the fairer measure of single-threaded work.
  let best = Infinity, bestCpu = Infinity;
  for (let r = 0; r < repeats; ++r) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    for (const t of texts) await tok.encode(t);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    best = Math.min(best, s);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  let bestBatch = Infinity, bestBatchCpu = Infinity;
  for (let r = 0; r < repeats; ++r) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    await tok.encodeBatch(texts);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const c = process.cpuUsage(c0);
    bestBatch = Math.min(bestBatch, s);
    bestBatchCpu = Math.min(bestBatchCpu, (c.user + c.system) / 1e6);
  }
  console.log(JSON.stringify({
    impl: "hf-tokenizers", texts: texts.length, bytes, tokens,
    encode_s: best, encode_batch_s: bestBatch, encode_cpu_s: bestCpu, encode_batch_cpu_s: bestBatchCpu,
    // The faster of the two single-threaded modes is HF's number.
    mb_per_s: bytes / 1e6 / Math.min(best, bestBatch),
    tokens_per_s: tokens / Math.min(best, bestBatch),
    cpu_mb_per_s: bytes / 1e6 / Math.min(bestCpu, bestBatchCpu),
    cpu_tokens_per_s: tokens / Math.min(bestCpu, bestBatchCpu),
  }));
}

main().catch((e) => { console.error(e); process.exit(1); });
