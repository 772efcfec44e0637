/**
 * Differential test: pushpool's `shlexSplit` against Python's real `shlex.split` (the pinned .venv's
 * interpreter; how Prefect's workers turn a string `command` into argv). Hand-written cases pin the
 * rules with their expected argv; fast-check strings from test/peers/shlexArbs.ts (fixed seed) are
 * compared wholesale. Everything runs in ONE Python process. Outcomes must be the same argv, or both
 * must fail, ours with an InvalidJobConfigurationError quoting Python's ValueError message.
 *
 * Budget: `FUZZ_RUNS` × 200 distinct generated strings (default 50 × 200 = 10,000 in `npm test`); replay with
 * `FUZZ_SEED=<n>`, go long with `FUZZ_RUNS=5000 npx vitest run test/peers/shlex.diff.test.ts`.
 * Kept cases in test/fixtures/fuzz-regressions/ with target `shlex` are replayed first.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { shlexSplit } from "../../core/backends/shlex.ts";
import { InvalidJobConfigurationError } from "../../core/shared/errors.ts";
import { FUZZ_SEED, fuzzRuns, regressions } from "../fuzz/fuzzConfig.ts";
import { REPO_ROOT, VENV_BIN } from "./prefectServer.ts";
import { commandString } from "./shlexArbs.ts";

type Outcome = { ok: string[] } | { error: { class: string; message: string } };

/** Python's `shlex.split` on every case, in one process. */
function pythonSplit(cases: string[]): { meta: { python: string }; results: Outcome[] } {
  const proc = spawnSync(join(VENV_BIN, "python"), [join(REPO_ROOT, "test/peers/py/shlex_oracle.py")], {
    input: JSON.stringify({ cases }),
    env: { PATH: process.env.PATH, LANG: "C.UTF-8" },
    maxBuffer: 1024 * 1024 * 1024,
    encoding: "utf8",
  });
  if (proc.status !== 0) throw new Error(`shlex oracle failed (${proc.status}): ${proc.stderr}`);
  return JSON.parse(proc.stdout);
}

function ours(command: string): Outcome {
  try {
    return { ok: shlexSplit(command) };
  } catch (e) {
    if (e instanceof InvalidJobConfigurationError) return { error: { class: e.name, message: e.message } };
    throw e;
  }
}

/** Same argv, or both fail and ours names Python's ValueError message. */
function agree(py: Outcome, mine: Outcome): boolean {
  if ("ok" in py) return "ok" in mine && isDeepStrictEqual(py.ok, mine.ok);
  return py.error.class === "ValueError" && "error" in mine && mine.error.message.includes(py.error.message);
}

/** `n` distinct strings (fast-check's small-size bias repeats short ones), fixed seeds. */
function distinctSample(arb: fc.Arbitrary<string>, n: number): string[] {
  const seen = new Set<string>();
  for (let round = 0; seen.size < n; round++) {
    for (const s of fc.sample(arb, { seed: FUZZ_SEED + 7 + round, numRuns: n })) {
      if (seen.size < n) seen.add(s);
    }
  }
  return [...seen];
}

const NO_CLOSING = { error: "No closing quotation" };
const NO_ESCAPED = { error: "No escaped character" };

/** [what it shows, command, Python's argv or ValueError message]. */
const HAND: Array<[string, string, string[] | { error: string }]> = [
  [
    'inside "", \\$ keeps its backslash (bash would drop it)',
    'bash -c "echo \\$HOME"',
    ["bash", "-c", "echo \\$HOME"],
  ],
  [
    'inside "", only \\" and \\\\ are escapes',
    '"a \\"b\\" \\\\ \\$c \\` \\n \\\'"',
    ['a "b" \\ \\$c \\` \\n \\\''],
  ],
  ["outside quotes, a backslash escapes anything", "\\$HOME \\'x\\' a\\ b \\#", ["$HOME", "'x'", "a b", "#"]],
  ["backslash-newline outside quotes is a literal newline", "a\\\nb", ["a\nb"]],
  ['backslash-newline inside "" keeps both', '"a\\\nb"', ["a\\\nb"]],
  ["single quotes keep backslashes", "'a\\b' '\"'", ["a\\b", '"']],
  ["no-break space does not split", "a\u00a0b", ["a\u00a0b"]],
  ["\\v and \\f do not split", "a\vb\fc", ["a\vb\fc"]],
  ["unicode spaces do not split", "a\u2003b\u3000c\u2028d", ["a\u2003b\u3000c\u2028d"]],
  ["space, tab, CR and LF split", " a\tb\rc\nd ", ["a", "b", "c", "d"]],
  ["a backslash at EOF fails", "a\\", NO_ESCAPED],
  ['a backslash at EOF inside "" fails as an escape, not as a quote', '"a\\', NO_ESCAPED],
  ["unclosed single quote fails", "echo 'oops", NO_CLOSING],
  ["unclosed double quote fails", 'echo "oops', NO_CLOSING],
  ["an escaped closing quote leaves it unclosed", '"a\\"', NO_CLOSING],
  ["'' is an empty word", "''", [""]],
  ["empty quotes join their neighbours or stand alone", "x''y \"\" ''", ["xy", "", ""]],
  ["adjacent quoted and bare pieces make one word", "\"a\"'b'c", ["abc"]],
  ["# mid-word and at word start is literal (comments off)", "a#b #c # d", ["a#b", "#c", "#", "d"]],
  ["non-BMP characters, escaped or quoted", '\\😀 "😀\\😀"', ["😀", "😀\\😀"]],
  ["empty and blank commands have no words", " \t\r\n", []],
  ["an empty command has no words", "", []],
];

describe("shlexSplit against Python's shlex.split (POSIX mode, comments off)", () => {
  const kept = regressions<string>("shlex").map((r) => r.case);
  const generated = distinctSample(commandString, fuzzRuns(50) * 200);
  const cases = [...HAND.map(([, command]) => command), ...kept, ...generated];
  let py: Outcome[];

  // shlex reads one character at a time: ~65 µs a string, so give long fuzz runs their time.
  beforeAll(
    () => {
      py = pythonSplit(cases).results;
      expect(py).toHaveLength(cases.length);
    },
    60_000 + cases.length / 2,
  );

  it.each(HAND.map((c, i) => [...c, i] as const))("%s", (_what, command, expected, i) => {
    const want: Outcome = Array.isArray(expected)
      ? { ok: expected }
      : { error: { class: "ValueError", message: expected.error } };
    expect(py[i]).toEqual(want); // our reading of Python is right...
    if (Array.isArray(expected))
      expect(shlexSplit(command)).toEqual(expected); // ...and we do the same
    else {
      expect(() => shlexSplit(command)).toThrow(InvalidJobConfigurationError);
      expect(() => shlexSplit(command)).toThrow(expected.error);
    }
  });

  it(`agrees on ${kept.length} kept and ${generated.length} generated strings`, () => {
    const mismatches: Array<{ command: string; python: Outcome; ours: Outcome }> = [];
    let failures = 0;
    for (let i = HAND.length; i < cases.length; i++) {
      const command = cases[i] as string;
      const python = py[i] as Outcome;
      if ("error" in python) failures++;
      const mine = ours(command);
      if (!agree(python, mine)) mismatches.push({ command, python, ours: mine });
    }
    mismatches.sort((a, b) => a.command.length - b.command.length);
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches, shortest first`).toEqual([]);
    // The grammar must exercise both outcomes, or agreement proves little.
    const compared = cases.length - HAND.length;
    expect(compared).toBeGreaterThanOrEqual(fuzzRuns(50) * 200);
    expect(failures / compared).toBeGreaterThan(0.1);
    expect(failures / compared).toBeLessThan(0.75);
  });

  it.each([
    ["no-break space", "\u00a0"],
    ["em space", "\u2003"],
    ["\\v", "\v"],
    ["\\f", "\f"],
    ["tab", "\t"],
    ["CR", "\r"],
    ["LF", "\n"],
    ["\\$", "\\$"],
    ["\\`", "\\`"],
    ["''", "''"],
    ['""', '""'],
    ["#", "#"],
    ["a non-BMP character", "\u{1f600}"],
  ])("generated strings contain %s often enough to matter", (_label, needle) => {
    const hits = generated.filter((command) => command.includes(needle)).length;
    expect(hits / generated.length).toBeGreaterThan(0.01);
  });
});
