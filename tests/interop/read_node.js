#!/usr/bin/env node
// Read .env files with the pinned npm `dotenv` (see package.json) and print,
// for each file, a JSON object mapping key -> hex of the value's UTF-8 bytes.
//
//   node read_node.js FILE          -> {"KEY": "68656c6c6f", ...}
//   node read_node.js FILE FILE...  -> [{...}, {...}]   (one object per file)
//
// Used by crates/coffer-dotenv/tests/interop.rs. Values are never printed as
// text, only as hex, so a failing test log does not mangle awkward bytes.
'use strict';
const fs = require('fs');
const dotenv = require('dotenv');

function readOne(file) {
  const parsed = dotenv.parse(fs.readFileSync(file));
  const out = {};
  for (const [k, v] of Object.entries(parsed)) {
    out[k] = Buffer.from(v, 'utf8').toString('hex');
  }
  return out;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: read_node.js FILE [FILE...]\n');
  process.exit(2);
}
const results = files.map(readOne);
process.stdout.write(JSON.stringify(files.length === 1 ? results[0] : results) + '\n');
