/**
 * `npm run bench:azure-bundle`: the Azure Functions package (`npm run package:azure`, built here
 * offline) — every file's size, and cold start over bare node, side by side in one run.
 *
 * Cold start = the median wall time of `node --input-type=module -e "<imports>; process.exit(0)"`
 * minus the median of the same command with no import (bare node), ROUNDS timed rounds after 2
 * warm-ups, bare and every case interleaved in each round. Cases: the entry (what the Functions
 * worker loads at start: every registration), and per function the entry plus the modules its
 * first invocation loads (its handler chunk; for dispatch and tick also the Resource Manager
 * clients) — reported, not gated: that is a cold invocation's own price.
 *
 * Goals (exit 1 when missed): every JavaScript file ≤ 1 MB, the entry's cold start ≤ 100 ms.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUNDLE_LIMIT_BYTES, packageAzure } from "../functions/azure/package/build.ts";
import { quantile } from "./stats.ts";

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const WARMUPS = 2;
const COLD_START_LIMIT_MS = 100;

const pkg = await packageAzure();
const chunks = readdirSync(join(pkg.dir, "dist", "chunks"));
const chunk = (prefix: string) => {
  const found = chunks.find((f) => f.startsWith(`${prefix}-`));
  if (!found) throw new Error(`no ${prefix} chunk in ${pkg.dir}/dist/chunks`);
  return `./dist/chunks/${found}`;
};
const entry = "./dist/index.js";
const cases: Record<string, string[]> = {
  bare: [],
  entry: [entry],
  "dispatch (1st invocation)": [entry, chunk("dispatch"), chunk("aciApi")],
  "tick (1st invocation)": [entry, chunk("tick"), chunk("aciApi")],
  "webhook (1st invocation)": [entry, chunk("webhook")],
  "poison (1st invocation)": [entry, chunk("poison")],
};

function timeOnce(imports: string[]): number {
  const script = `${imports.map((m) => `await import(${JSON.stringify(m)});`).join(" ")} process.exit(0);`;
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: pkg.dir,
    encoding: "utf8",
    env: { PATH: process.env.PATH },
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`import of ${imports.join(", ")} failed:\n${r.stderr}`);
  return ms;
}

const samples: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < WARMUPS + ROUNDS; round++) {
  for (const [name, imports] of Object.entries(cases)) {
    const ms = timeOnce(imports);
    if (round >= WARMUPS) samples[name]?.push(ms);
  }
}
const median = (name: string) => quantile(samples[name] ?? [], 0.5) ?? Number.NaN;
const bare = median("bare");

console.log(`Azure Functions package (${pkg.dir}), node ${process.version}, ${ROUNDS} rounds`);
console.log("\nfile sizes (bytes):");
for (const { file, bytes } of pkg.files) {
  const flag = file.endsWith(".js") && bytes > BUNDLE_LIMIT_BYTES ? "  OVER 1 MB" : "";
  console.log(`${String(bytes).padStart(10)}  ${file}${flag}`);
}
console.log("\ncold start (median wall ms; over bare node):");
const rows = Object.keys(cases).map((name) => ({
  name,
  medianMs: median(name),
  overBareMs: name === "bare" ? 0 : median(name) - bare,
}));
for (const r of rows)
  console.log(
    `${r.name.padEnd(28)} ${r.medianMs.toFixed(1).padStart(8)}  ${r.overBareMs.toFixed(1).padStart(8)}`,
  );

const over = pkg.files.filter((f) => f.file.endsWith(".js") && f.bytes > BUNDLE_LIMIT_BYTES);
const entryCold = median("entry") - bare;
const misses = [
  ...over.map((f) => `${f.file} is ${f.bytes} bytes (> ${BUNDLE_LIMIT_BYTES})`),
  ...(entryCold > COLD_START_LIMIT_MS
    ? [`entry cold start ${entryCold.toFixed(1)} ms (> ${COLD_START_LIMIT_MS})`]
    : []),
];
mkdirSync("bench/results", { recursive: true });
writeFileSync(
  "bench/results/azure-bundle.json",
  `${JSON.stringify({ at: new Date().toISOString(), node: process.version, rounds: ROUNDS, files: pkg.files, samples, rows, misses }, null, 2)}\n`,
);
if (misses.length) {
  console.error(`\ngoals missed:\n${misses.join("\n")}`);
  process.exit(1);
}
console.log("\ngoals met: every bundle ≤ 1 MB, entry cold start ≤ 100 ms");
