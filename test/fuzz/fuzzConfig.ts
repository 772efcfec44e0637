/**
 * Budget and seed of the fuzz suites: a small fixed-seed budget in `npm test`, a large one with
 * `FUZZ_RUNS=5000`; `FUZZ_SEED=<n>` replays a run. A failing seed is kept as a case in
 * test/fixtures/fuzz-regressions/ (see {@link regressions}).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_128);

/** `FUZZ_RUNS` when set, else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** fast-check parameters for one property (`salt` keeps properties on different streams). */
export function fcParams(fallback: number, salt: number) {
  return { numRuns: fuzzRuns(fallback), seed: FUZZ_SEED + salt, endOnFailure: true };
}

export const REGRESSIONS_DIR = resolve(import.meta.dirname, "../fixtures/fuzz-regressions");

export interface Regression<T = unknown> {
  /** Which fuzz target replays it: `queueMessage`, `awsEnvelope`, `templating`, `shlex`. */
  target: string;
  /** What went wrong, and the seed / run that found it. */
  found: string;
  case: T;
}

/** Every kept case for `target`, with its file name. */
export function regressions<T>(target: string): Array<Regression<T> & { file: string }> {
  let files: string[];
  try {
    files = readdirSync(REGRESSIONS_DIR).filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((file) => ({
      file,
      ...(JSON.parse(readFileSync(join(REGRESSIONS_DIR, file), "utf8")) as Regression<T>),
    }))
    .filter((r) => r.target === target);
}
