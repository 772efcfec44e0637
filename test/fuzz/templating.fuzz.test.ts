/**
 * Differential fuzzing of our templating against Prefect's own Python functions (the pinned .venv,
 * ONE Python process for the whole file): random templates and values through `find_placeholders`,
 * `apply_values`, `resolve_variables` and `resolve_block_document_references`. Outputs must be
 * identical, or the errors of the same class and message.
 *
 * Budget: `FUZZ_RUNS` cases per op (default 50, so ~200 in `npm test`), seed `FUZZ_SEED`. Kept
 * cases in test/fixtures/fuzz-regressions/ (target `templating`) are replayed first.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import { applyValues } from "../../core/template/applyValues.ts";
import { resolveBlockDocumentReferences } from "../../core/template/blocks.ts";
import { TemplateError } from "../../core/template/errors.ts";
import type { Template } from "../../core/template/notSet.ts";
import { findPlaceholders } from "../../core/template/placeholders.ts";
import { resolveVariables } from "../../core/template/variables.ts";
import { decode, encode, fakeApi, type OracleOutput, runOracle, type Tagged } from "../peers/pyOracle.ts";
import { FUZZ_SEED, fuzzRuns, regressions } from "./fuzzConfig.ts";
import {
  BLOCKS_BY_ID,
  BLOCKS_BY_NAME,
  ENV,
  refs,
  soup,
  template,
  VARIABLES,
  values,
} from "./templatingArbs.ts";

type Op = "find" | "apply" | "blocks" | "variables";
type Case = { op: Op; template: Tagged; [key: string]: unknown };
type Outcome = { ok: Tagged } | { error: { class: string; message: string } };

const PER_OP = fuzzRuns(50);
const fixtures = {
  blocksById: encode(BLOCKS_BY_ID),
  blocksByName: encode(BLOCKS_BY_NAME as unknown as Json),
  variables: encode(VARIABLES),
};

function generate(): Case[] {
  const sample = <T>(arb: fc.Arbitrary<T>, salt: number) =>
    fc.sample(arb, { seed: FUZZ_SEED + salt, numRuns: PER_OP });
  const tpl = template(soup);
  return [
    ...sample(tpl, 11).map((t) => ({ op: "find" as const, template: encode(t) })),
    ...sample(
      fc.tuple(tpl, values, fc.boolean(), fc.option(fc.constantFrom(["ctx."], ["$", "a."], [""]))),
      12,
    ).map(([t, v, removeNotset, skip]) => ({
      op: "apply" as const,
      template: encode(t),
      values: encode(v),
      removeNotset,
      env: ENV,
      ...(skip ? { skipPrefixes: skip } : {}),
    })),
    ...sample(template(fc.oneof(soup, refs)), 13).map((t) => ({
      op: "blocks" as const,
      template: encode(t),
      ...fixtures,
    })),
    ...sample(tpl, 14).map((t) => ({ op: "variables" as const, template: encode(t), ...fixtures })),
  ];
}

async function ours(c: Case): Promise<Outcome> {
  const { api, counts } = fakeApi(c as never);
  const t = decode(c.template);
  try {
    if (c.op === "find")
      return { ok: findPlaceholders(t).map((p) => [p.fullMatch, p.name, p.type]) as Tagged };
    if (c.op === "apply") {
      const opts = {
        removeNotset: c.removeNotset as boolean,
        skipPrefixes: c.skipPrefixes as string[] | undefined,
        env: ENV,
      };
      return { ok: encode(applyValues(t, decode(c.values as Tagged) as JsonObject, opts)) };
    }
    const value =
      c.op === "blocks"
        ? await resolveBlockDocumentReferences(t as Json, api)
        : await resolveVariables(t as Json, api);
    return { ok: { value: encode(value as Template), reads: counts.reads } };
  } catch (error) {
    if (error instanceof TemplateError)
      return { error: { class: error.pythonClass, message: error.message } };
    return {
      error: { class: `UNEXPECTED ${(error as Error).name}`, message: String((error as Error).message) },
    };
  }
}

const byJson = (a: unknown, b: unknown) =>
  JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0;
/** find: compared as sets (Python sorts by code point, we do not sort); pydantic errors by class. */
function comparable(c: Case, o: Outcome): unknown {
  if (c.op === "find" && "ok" in o && Array.isArray(o.ok)) return { ok: [...o.ok].sort(byJson) };
  if ("error" in o && o.error.class === "ValidationError") return { error: { class: "ValidationError" } };
  return o;
}

const kept = regressions<Case>("templating");
const generated = generate();
const cases: Array<{ label: string; c: Case }> = [
  ...kept.map((r) => ({ label: `regression ${r.file}`, c: r.case })),
  ...generated.map((c, i) => ({ label: `seed ${FUZZ_SEED} #${i}`, c })),
];
let oracle: OracleOutput;
let oracleMs = 0;

beforeAll(() => {
  const started = Date.now();
  oracle = runOracle(cases.map(({ c }) => c));
  oracleMs = Date.now() - started;
}, 120_000);

describe(`templating fuzz vs Prefect (seed ${FUZZ_SEED}, ${PER_OP} per op)`, () => {
  it("the oracle answered every case in one process", () => {
    expect(oracle.results).toHaveLength(cases.length);
    expect(generated.length).toBe(4 * PER_OP);
    if (!process.env.FUZZ_RUNS) expect(oracleMs).toBeLessThan(15_000);
    console.info(`templating fuzz: ${cases.length} cases (${kept.length} kept), oracle ${oracleMs} ms`);
  });

  for (const op of ["find", "apply", "blocks", "variables"] as const) {
    it(`${op}: identical results or errors`, async () => {
      const mismatches: string[] = [];
      for (const [i, { label, c }] of cases.entries()) {
        if (c.op !== op) continue;
        const theirs = oracle.results[i] as Outcome;
        const mine = await ours(c);
        if (!isDeepStrictEqual(comparable(c, mine), comparable(c, theirs)))
          mismatches.push(JSON.stringify({ label, case: c, ours: mine, prefect: theirs }));
      }
      expect(mismatches.slice(0, 3)).toEqual([]);
    });
  }

  it("the generated cases reach errors and placeholders (the generators are not trivial)", () => {
    const classes = new Set(oracle.results.flatMap((r) => ("error" in r ? [r.error.class] : [])));
    expect(classes.size).toBeGreaterThan(0);
    const found = generated.filter(
      (c, i) => c.op === "find" && JSON.stringify(oracle.results[kept.length + i]) !== '{"ok":[]}',
    );
    expect(found.length).toBeGreaterThan(PER_OP / 4);
  });
});
