/**
 * @module
 * `npm run bench:gcp-bundle` — the Cloud Functions package of `npm run package:gcp`
 * (functions/gcp/package/build.ts): its bundle's size and its cold start over bare node.
 *
 * Method (ecosystem.md §2): build the package (offline), then in each round spawn
 * `node --input-type=module -e "process.exit(0)"` (bare node) and
 * `node --input-type=module -e "await import('<.build/gcp/index.mjs>'); process.exit(0)"` side by
 * side, BENCH_GCP_ROUNDS (default 10, at least 5) timed rounds after 2 warm-ups; the cold start is
 * the median of the bundle minus the median of bare node. The Google client code (Cloud Run's
 * deep client, google-gax, gRPC) is a chunk loaded on the first Cloud Run call; a third column
 * times the bundle plus that chunk — what a dispatch pays before its first Cloud Run request. The
 * size goal is on every .mjs of the package (main and chunks). `METADATA_SERVER_DETECTION=none`, as on a
 * machine with no GCE metadata server (importing must not reach for one anyway: clients are made on
 * first use). Goals: bundle ≤ 2 MB (2,000,000 bytes), cold start ≤ 200 ms. Prints a markdown table,
 * writes bench/results/gcp-bundle-<time>.json, exits 1 when a goal is missed, 2 on a failure.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE, OUT_DIR, packageGcp, ROOT } from "../functions/gcp/package/build.ts";
import { quantile } from "./stats.ts";

export const GCP_BUNDLE_LIMIT_BYTES = 2_000_000;
export const GCP_COLD_START_LIMIT_MS = 200;

function timeNode(script: string): { ms: number; error?: string } {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    METADATA_SERVER_DETECTION: "none",
  };
  const start = performance.now();
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
  const ms = performance.now() - start;
  return r.status === 0 ? { ms } : { ms, error: (r.stderr || r.stdout).slice(-600) };
}

function topInputs(): { name: string; bytes: number }[] {
  const meta = JSON.parse(readFileSync(join(OUT_DIR, "..", "gcp-meta.json"), "utf8")) as {
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const sums = new Map<string, number>();
  for (const output of Object.values(meta.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const at = path.lastIndexOf("node_modules/");
      const parts = at < 0 ? [] : path.slice(at + 13).split("/");
      const name =
        at < 0
          ? "pushpool (own code)"
          : parts[0]?.startsWith("@")
            ? `${parts[0]}/${parts[1]}`
            : (parts[0] ?? path);
      sums.set(name, (sums.get(name) ?? 0) + input.bytesInOutput);
    }
  return [...sums.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 8);
}

async function main(): Promise<number> {
  const rounds = Math.max(5, Number(process.env.BENCH_GCP_ROUNDS ?? 10) || 10);
  const warmups = 2;
  console.error("npm run package:gcp (esbuild, offline)…");
  const t0 = performance.now();
  await packageGcp();
  const packageSeconds = (performance.now() - t0) / 1000;
  const bundle = join(OUT_DIR, BUNDLE);
  const mainBytes = statSync(bundle).size;
  const chunkDir = join(OUT_DIR, "chunks");
  const chunks = readdirSync(chunkDir).map((f) => join(chunkDir, f));
  const bytes = [bundle, ...chunks].reduce((sum, f) => sum + statSync(f).size, 0);
  const cloudRunChunk = chunks.find((f) => /[/\\]cloudRunApi-[^/\\]+\.mjs$/.test(f));
  if (!cloudRunChunk) throw new Error("no cloudRunApi chunk in .build/gcp/chunks");
  const url = (f: string) => JSON.stringify(pathToFileURL(f).href);
  const importScript = `await import(${url(bundle)}); process.exit(0);`;
  // What a dispatch pays before its first Cloud Run call: the bundle, then the Google client chunk.
  const firstCallScript = `await import(${url(bundle)}); await import(${url(cloudRunChunk)}); process.exit(0);`;
  console.error(
    `cold start: ${warmups} warm-up + ${rounds} timed rounds, bare node and the bundle side by side…`,
  );
  const bare: number[] = [];
  const loaded: number[] = [];
  const withClient: number[] = [];
  let error: string | undefined;
  for (let round = 0; round < warmups + rounds; round++) {
    const b = timeNode("process.exit(0)");
    const l = timeNode(importScript);
    const c = timeNode(firstCallScript);
    error ??= l.error ?? c.error;
    if (round >= warmups) {
      bare.push(b.ms);
      loaded.push(l.ms);
      withClient.push(c.ms);
    }
  }
  const bareMedian = quantile(bare, 0.5);
  const loadedMedian = quantile(loaded, 0.5);
  const clientMedian = quantile(withClient, 0.5);
  const withClientMs =
    !error && bareMedian !== null && clientMedian !== null ? clientMedian - bareMedian : null;
  const coldStartMs =
    !error && bareMedian !== null && loadedMedian !== null ? loadedMedian - bareMedian : null;
  const sizeOk = bytes <= GCP_BUNDLE_LIMIT_BYTES;
  const startOk = coldStartMs !== null && coldStartMs <= GCP_COLD_START_LIMIT_MS;
  const result = {
    date: new Date().toISOString(),
    command: "npm run bench:gcp-bundle",
    node: process.version,
    packageSeconds,
    rounds,
    bundle: ".build/gcp/index.mjs",
    bytes,
    mainBytes,
    withCloudRunClientMs: withClientMs,
    withClientSamplesMs: withClient,
    bareMedianMs: bareMedian,
    importMedianMs: loadedMedian,
    coldStartMs,
    bareSamplesMs: bare,
    importSamplesMs: loaded,
    topInputs: topInputs(),
    goals: { bytes: GCP_BUNDLE_LIMIT_BYTES, coldStartMs: GCP_COLD_START_LIMIT_MS, met: sizeOk && startOk },
    ...(error ? { error } : {}),
  };
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `gcp-bundle-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const ms = (v: number | null) => (v === null ? "n/a" : v.toFixed(1));
  console.log(
    "| package | bytes (all .mjs) | of which index.mjs | goal | bare node median ms | import median ms | cold start over bare node ms | goal | with the Cloud Run client chunk ms |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  console.log(
    `| .build/gcp | ${bytes.toLocaleString("en")} ${sizeOk ? "✓" : "✗"} | ${mainBytes.toLocaleString("en")} | ≤ ${GCP_BUNDLE_LIMIT_BYTES.toLocaleString("en")} | ${ms(bareMedian)} | ${ms(loadedMedian)} | ${ms(coldStartMs)} ${startOk ? "✓" : "✗"} | ≤ ${GCP_COLD_START_LIMIT_MS} | ${ms(withClientMs)} |`,
  );
  console.log(
    `\nLargest inputs: ${result.topInputs.map((i) => `${i.name} ${i.bytes.toLocaleString("en")}`).join(", ")}`,
  );
  console.log(
    `${rounds} rounds after ${warmups} warm-ups, ${process.version}; package built in ${packageSeconds.toFixed(1)} s. Results: ${file}`,
  );
  if (error) console.log(`\nThe bundle failed to import: ${error}`);
  return sizeOk && startOk ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench:gcp-bundle failed: ${(e as Error).stack ?? e}`);
    process.exit(2);
  },
);
