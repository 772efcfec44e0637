/**
 * Differential test: pushpool's templating against Prefect's own Python functions (the pinned
 * .venv), on the contract's vectors plus fast-check-generated cases (fixed seed). All cases run in
 * ONE Python process; results must be identical (floats compared by repr), or the errors must have
 * the same class and message (pydantic `ValidationError`s: same class; the text is pydantic's).
 */
import { isDeepStrictEqual } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { fromTemplateAndValues } from "../../core/job/fromTemplate.ts";
import type { BaseJobTemplate, Json, JsonObject } from "../../core/prefect/types.ts";
import { applyValues } from "../../core/template/applyValues.ts";
import { resolveBlockDocumentReferences } from "../../core/template/blocks.ts";
import { TemplateError } from "../../core/template/errors.ts";
import type { Template } from "../../core/template/notSet.ts";
import { findPlaceholders } from "../../core/template/placeholders.ts";
import { resolveVariables } from "../../core/template/variables.ts";
import { decode, encode, fakeApi, type OracleOutput, runOracle, type Tagged } from "./pyOracle.ts";
import { type Case, cases } from "./templatingCases.ts";

// ---------------------------------------------------------------------------------------------
// Running ours and comparing
// ---------------------------------------------------------------------------------------------

type Outcome = { ok: Tagged } | { error: { class: string; message: string } };

async function ours(c: Case): Promise<Outcome> {
  const { api, counts } = fakeApi(c as never);
  const template = decode(c.template as Tagged);
  try {
    switch (c.op) {
      case "find":
        return {
          ok: findPlaceholders(template)
            .map((p) => [p.fullMatch, p.name, p.type])
            .sort(byJson) as Tagged,
        };
      case "apply": {
        const values = decode(c.values as Tagged) as JsonObject;
        const opts = {
          removeNotset: c.removeNotset as boolean | undefined,
          skipPrefixes: c.skipPrefixes as string[] | undefined,
          env: c.env as Record<string, string>,
        };
        return { ok: encode(applyValues(template, values, opts)) };
      }
      case "blocks": {
        const value = await resolveBlockDocumentReferences(template as Json, api);
        return { ok: { value: encode(value), reads: counts.reads } };
      }
      case "variables": {
        const value = await resolveVariables(template as Json, api);
        return { ok: { value: encode(value), reads: counts.reads } };
      }
      case "fromTemplate": {
        const base = decode(c.baseJobTemplate as Tagged) as BaseJobTemplate;
        const config = await fromTemplateAndValues(base, decode(c.values as Tagged) as JsonObject, {
          api,
          env: c.env as Record<string, string>,
        });
        return { ok: encode(config as Template) };
      }
    }
  } catch (error) {
    if (error instanceof TemplateError)
      return { error: { class: error.pythonClass, message: error.message } };
    throw error;
  }
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Python sorts find results by code point, JS by UTF-16 unit: compare them as sets. */
function normalize(c: Case, outcome: Outcome): Outcome {
  if (c.op === "find" && "ok" in outcome && Array.isArray(outcome.ok))
    return { ok: [...outcome.ok].sort(byJson) };
  return outcome;
}

/** pydantic's messages are its own; for its ValidationError only the class must match. */
function comparable(outcome: Outcome): unknown {
  if ("error" in outcome && outcome.error.class === "ValidationError")
    return { error: { class: "ValidationError" } };
  return outcome;
}

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

  for (const op of ["find", "apply", "blocks", "variables", "fromTemplate"] as const) {
    it(`${op}: identical results or errors`, async () => {
      const mismatches: unknown[] = [];
      let count = 0;
      for (const [i, c] of cases.entries()) {
        if (c.op !== op) continue;
        count += 1;
        const theirs = normalize(c, oracle.results[i] as Outcome);
        const mine = await ours(c);
        if (!isDeepStrictEqual(comparable(mine), comparable(theirs))) {
          mismatches.push(JSON.stringify({ label: c.label, case: c, ours: mine, prefect: theirs }));
        }
      }
      expect(count).toBeGreaterThan(0);
      expect(mismatches.slice(0, 5)).toEqual([]);
    });
  }

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
