/**
 * Differential test: pushpool's templating against Prefect's own Python functions (the pinned
 * .venv), on the contract's vectors, hand-written exactness cases (ints beyond 2^53, dicts with
 * integer-like keys) plus fast-check-generated cases (fixed seed). All cases run in ONE Python
 * process; results must be identical (floats compared by repr, big ints by digits, key order of
 * dicts with integer-like keys), or the errors must have the same class and message (pydantic
 * `ValidationError`s: same class; the text is pydantic's).
 */
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { type OracleOutput, runOracle } from "./pyOracle.ts";
import { cases } from "./templatingCases.ts";
import { comparable, type Outcome, ours } from "./templatingRun.ts";

let oracle: OracleOutput;
let elapsedMs = 0;

beforeAll(() => {
  const started = Date.now();
  oracle = runOracle(cases.map(({ label: _label, ...c }) => c));
  elapsedMs = Date.now() - started;
});

describe("templating vs Prefect (differential)", () => {
  it(`runs ≥ 300 cases in one Python process`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(300);
    expect(oracle.results).toHaveLength(cases.length);
    expect(elapsedMs).toBeLessThan(20_000);
  });

  for (const op of ["find", "apply", "blocks", "variables", "fromTemplate", "render"] as const) {
    it(`${op}: identical results or errors`, async () => {
      const mismatches: unknown[] = [];
      let count = 0;
      for (const [i, c] of cases.entries()) {
        if (c.op !== op) continue;
        count += 1;
        const theirs = oracle.results[i] as Outcome;
        const mine = await ours(c, oracle.meta);
        if (!isDeepStrictEqual(comparable(c, mine), comparable(c, theirs))) {
          mismatches.push(JSON.stringify({ label: c.label, case: c, ours: mine, prefect: theirs }));
        }
      }
      expect(count).toBeGreaterThan(0);
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }

  it("the exactness cases reach big ints and integer-like-key dicts on Prefect's side", () => {
    const exact = cases.flatMap((c, i) => (c.label.startsWith("exact ") ? [oracle.results[i]] : []));
    const text = JSON.stringify(exact);
    expect(exact.length).toBeGreaterThanOrEqual(55);
    expect(exact.filter((r) => r && "ok" in r).length).toBeGreaterThanOrEqual(exact.length - 4);
    expect(text).toContain('{"$int":"9007199254740993"}');
    expect(text).toContain('"id=9223372036854775808"');
    expect(text).toContain('{"$dict":[["8080","web"],["443","tls"]]}');
    expect(text).toContain("p={'8080': 'web', '443': 'tls'}");
  });

  it("some generated cases exercise errors and NotSet (the generators are not trivial)", () => {
    const classes = new Set(oracle.results.flatMap((r) => ("error" in r ? [r.error.class] : [])));
    expect([...classes]).toEqual(
      expect.arrayContaining([
        "ValueError",
        "ObjectNotFound",
        "TypeError",
        "AttributeError",
        "ValidationError",
      ]),
    );
  });
});
