/**
 * @module
 * The Lambda bundles of `npm run bench:aws`: `npm run package:aws` (osls + serverless-esbuild,
 * offline) builds one zip per function in .serverless/; for each we report the zip size, the
 * unzipped handler size, and the cold start = median wall time of
 * `node --input-type=module -e "await import('<handler>'); process.exit(0)"` minus the median of the
 * same command with an empty script (bare node), 10 timed rounds after 2 warm-ups, bare and every
 * bundle side by side in each round (ecosystem.md §2's method). Also, per function, which packages
 * take the bytes (an esbuild metafile of the same entry with serverless.yml's esbuild options).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { REPO_ROOT } from "../functions/local/prefectServer.ts";
import { quantile } from "./stats.ts";

export const BUNDLE_LIMIT_BYTES = 1_000_000;
export const COLD_START_LIMIT_MS = 100;

export interface BundleResult {
  fn: string;
  zipBytes: number;
  handler: string;
  handlerBytes: number;
  /** All files in the zip, unzipped. */
  unzippedBytes: number;
  coldStartMs: number | null;
  importMedianMs: number | null;
  samplesMs: number[];
  error?: string;
  /** Largest contributors to the handler's bytes: package (or "pushpool") → bytes. */
  topInputs: { name: string; bytes: number }[];
}

export interface BundlesResult {
  command: string;
  packageSeconds: number;
  bareMedianMs: number | null;
  bareSamplesMs: number[];
  rounds: number;
  nodeVersion: string;
  bundles: BundleResult[];
}

export async function measureBundles(
  options: { rounds?: number; warmups?: number; log?: (s: string) => void } = {},
): Promise<BundlesResult> {
  const rounds = options.rounds ?? 10;
  const warmups = options.warmups ?? 2;
  const log = options.log ?? (() => {});
  // serverless.yml's prefectApiUrl is a placeholder and its pools are empty, so package refuses to
  // build without them; the values only reach the template, never the bundles measured here.
  const params = ["--param=prefectApiUrl=https://prefect.bench.internal/api", "--param=pools=bench-pool"];
  const command = `npm run package:aws -- ${params.map((p) => `'${p}'`).join(" ")}`;
  log(`${command} (osls package, offline)…`);
  const t0 = performance.now();
  const built = spawnSync("npm", ["run", "package:aws", "--", ...params], {
    cwd: REPO_ROOT,
    encoding: "utf8",
  });
  const packageSeconds = (performance.now() - t0) / 1000;
  if (built.status !== 0) throw new Error(`${command} failed:\n${built.stdout}\n${built.stderr}`);
  const dir = join(REPO_ROOT, ".serverless");
  const zips = readdirSync(dir)
    .filter((f) => f.endsWith(".zip"))
    .sort();
  const scratch = mkdtempSync(join(tmpdir(), "pushpool-bundles-"));
  try {
    const bundles: BundleResult[] = [];
    const handlers: string[] = [];
    for (const zip of zips) {
      const fn = zip.replace(/\.zip$/, "");
      const out = join(scratch, fn);
      const unzipped = spawnSync("unzip", ["-o", "-q", join(dir, zip), "-d", out], { encoding: "utf8" });
      if (unzipped.status !== 0) throw new Error(`unzip ${zip} failed: ${unzipped.stderr}`);
      const files = walk(out);
      // The entry file (functions/aws/<fn>.mjs); lazily imported chunks sit beside it in chunks/.
      const code = files.filter((f) => /\.(mjs|cjs|js)$/.test(f));
      const handler = code.find((f) => relative(out, f) === `functions/aws/${fn}.mjs`) ?? code[0];
      if (!handler) throw new Error(`${zip} holds no .mjs/.js file`);
      bundles.push({
        fn,
        zipBytes: size(join(dir, zip)),
        handler: relative(out, handler),
        handlerBytes: size(handler),
        unzippedBytes: files.reduce((s, f) => s + size(f), 0),
        coldStartMs: null,
        importMedianMs: null,
        samplesMs: [],
        topInputs: await topInputs(relative(out, handler)),
      });
      handlers.push(handler);
    }

    log(
      `cold start: ${warmups} warm-up + ${rounds} timed rounds of bare node and ${bundles.length} bundles…`,
    );
    const bare: number[] = [];
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, AWS_REGION: "us-east-1", LANG: "C.UTF-8" };
    const time = (script: string): { ms: number; error?: string } => {
      const start = performance.now();
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { env, encoding: "utf8" });
      const ms = performance.now() - start;
      return r.status === 0 ? { ms } : { ms, error: (r.stderr || r.stdout).slice(-600) };
    };
    for (let round = 0; round < warmups + rounds; round++) {
      const b = time("process.exit(0)");
      if (round >= warmups) bare.push(b.ms);
      for (const [i, bundle] of bundles.entries()) {
        const abs = handlers[i] as string;
        const r = time(`await import(${JSON.stringify(pathToFileURL(abs).href)}); process.exit(0);`);
        if (r.error) bundle.error = r.error;
        if (round >= warmups) bundle.samplesMs.push(r.ms);
      }
    }
    const bareMedianMs = quantile(bare, 0.5);
    for (const bundle of bundles) {
      bundle.importMedianMs = quantile(bundle.samplesMs, 0.5);
      bundle.coldStartMs =
        bundle.importMedianMs !== null && bareMedianMs !== null && !bundle.error
          ? bundle.importMedianMs - bareMedianMs
          : null;
    }
    return {
      command,
      packageSeconds,
      bareMedianMs,
      bareSamplesMs: bare,
      rounds,
      nodeVersion: process.version,
      bundles,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Rebuilds the handler's entry (functions/aws/<fn>.ts, from the zip's path) with serverless.yml's
 * esbuild options and a metafile, and sums the output bytes per package.
 */
async function topInputs(handlerInZip: string): Promise<{ name: string; bytes: number }[]> {
  const entry = join(REPO_ROOT, handlerInZip.replace(/\.(mjs|cjs|js)$/, ".ts"));
  try {
    statSync(entry);
  } catch {
    return [];
  }
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    keepNames: true,
    format: "esm",
    platform: "node",
    target: "node22",
    mainFields: ["module", "main"],
    banner: {
      js: "import { createRequire as __pushpoolCreateRequire } from 'node:module'; const require = __pushpoolCreateRequire(import.meta.url);",
    },
    // As serverless.yml splits them: lazily imported clients land in chunks, where esbuild keeps
    // only the commands named (without splitting it keeps about all of a dynamically imported one).
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    write: false,
    metafile: true,
    outdir: join(tmpdir(), "pushpool-bundle-analysis"),
    logLevel: "silent",
  });
  const sums = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs))
    for (const [path, input] of Object.entries(output.inputs)) {
      const name = packageOf(path);
      sums.set(name, (sums.get(name) ?? 0) + input.bytesInOutput);
    }
  return [...sums.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 10);
}

function packageOf(path: string): string {
  const at = path.lastIndexOf("node_modules/");
  if (at < 0) return "pushpool (own code)";
  const parts = path.slice(at + "node_modules/".length).split("/");
  return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] ?? path);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

function size(path: string): number {
  return statSync(path).size;
}
