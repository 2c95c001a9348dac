#!/usr/bin/env node
// Prints the gzipped size of every built JS/CSS asset and of what the first page load needs
// (the entry script plus its modulepreloads from dist/index.html), and fails when that
// initial JavaScript exceeds the budget.
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET_KB = 250;
const dist = resolve(import.meta.dirname, "../dist");
const assets = join(dist, "assets");
const gz = (file) => gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
const kb = (bytes) => `${(bytes / 1024).toFixed(1)} KB`;

const html = readFileSync(join(dist, "index.html"), "utf8");
const initial = new Set(
  [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]),
);

const rows = readdirSync(assets)
  .filter((f) => f.endsWith(".js") || f.endsWith(".css"))
  .map((f) => {
    const path = `assets/${f}`;
    return { path, raw: readFileSync(join(dist, path)).length, gzip: gz(path), initial: initial.has(path) };
  })
  .sort((a, b) => b.gzip - a.gzip);

console.log("\nasset sizes (gzip -9):");
for (const r of rows) {
  console.log(`  ${r.initial ? "*" : " "} ${r.path.padEnd(52)} ${kb(r.raw).padStart(10)}  ${kb(r.gzip).padStart(9)} gz`);
}
const initialJs = rows.filter((r) => r.initial).reduce((sum, r) => sum + r.gzip, 0);
const css = rows.filter((r) => r.path.endsWith(".css")).reduce((sum, r) => sum + r.gzip, 0);
const totalJs = rows.filter((r) => r.path.endsWith(".js")).reduce((sum, r) => sum + r.gzip, 0);
console.log(`\n  * initial route JS: ${kb(initialJs)} gz (budget ${BUDGET_KB} KB), CSS ${kb(css)} gz, all JS ${kb(totalJs)} gz\n`);
if (initialJs > BUDGET_KB * 1024) {
  console.error(`initial JS ${kb(initialJs)} exceeds the ${BUDGET_KB} KB budget`);
  process.exit(1);
}
