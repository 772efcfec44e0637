/**
 * Differential fuzzing of exactness (issue #10) against Prefect's own Python code (the pinned
 * .venv, ONE Python process for the file): generated big ints, dicts with integer-like keys,
 * nested containers, unicode and floats, used whole and embedded, as parameters / job variables
 * (`apply_values`), Variables, block data, pool defaults (`from_template_and_values`) and flow-run
 * parameters in names (`resolve_for_flow_run`). Everything our side reads from Prefect goes
 * through the wire (stringifyJson + parseJson). Outcomes must be identical: big ints by digits,
 * key order of dicts with integer-like keys, errors by class and message.
 *
 * Budget: `FUZZ_RUNS` cases per op (default 80, so 400 in `npm test`), seed `FUZZ_SEED`.
 */
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../../core/prefect/types.ts";
import type { Template } from "../../core/template/notSet.ts";
import { encode, type OracleOutput, runOracle } from "../peers/pyOracle.ts";
import { renderCase } from "../peers/templatingExactCases.ts";
import { comparable, type OracleCase, type Outcome, ours } from "../peers/templatingRun.ts";
import { dict, dictOf, key, placeholderString, templateOf, value, valuePaths } from "./exactArbs.ts";
import { FUZZ_SEED, fuzzRuns } from "./fuzzConfig.ts";

const PER_OP = fuzzRuns(80);
const OPS = ["apply", "variables", "blocks", "fromTemplate", "render"] as const;
const ENV = { HOME_X: "/home/x" };

const sample = <T>(arb: fc.Arbitrary<T>, salt: number): T[] =>
  fc.sample(arb, { seed: FUZZ_SEED + salt, numRuns: PER_OP });
const xyd = fc.record({ x: value, y: value, d: dict });
const text = (paths: fc.Arbitrary<string>) => placeholderString(paths) as fc.Arbitrary<Template>;

function generate(): OracleCase[] {
  const apply = sample(fc.tuple(templateOf(text(valuePaths)), xyd, fc.boolean()), 31).map(
    ([template, values, removeNotset]): OracleCase => ({
      op: "apply",
      template: encode(template),
      values: encode(values),
      removeNotset,
      env: ENV,
    }),
  );
  const variablePaths = fc.constantFrom("x", "y", "d", "gone").map((n) => `prefect.variables.${n}`);
  const variables = sample(fc.tuple(templateOf(text(variablePaths)), xyd), 32).map(
    ([template, v]): OracleCase => ({ op: "variables", template: encode(template), variables: encode(v) }),
  );
  const blockPaths = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom("json.x", "json.y", "cfg.d", "json.x.value", "cfg.d.8080") },
    { weight: 1, arbitrary: key.map((k) => `cfg.d.${k}`) },
  );
  // One block placeholder per string: with two that both fail, which error Prefect reports
  // depends on its set's hash order.
  const blockLeaf = fc.oneof(
    {
      weight: 4,
      arbitrary: placeholderString(
        blockPaths.map((p) => `prefect.blocks.${p}`),
        1,
      ),
    },
    { weight: 2, arbitrary: fc.constant<Template>({ $ref: { block_document_id: "id-d" } }) },
  );
  const blocks = sample(fc.tuple(templateOf(blockLeaf), xyd), 33).map(
    ([template, { x, y, d }]): OracleCase => ({
      op: "blocks",
      template: encode(template),
      blocksByName: encode([
        ["json", "x", { value: x }],
        ["json", "y", { value: y }],
        ["cfg", "d", d],
      ] as unknown as Json),
      blocksById: encode({ "id-d": d }),
    }),
  );
  const jobConfiguration = fc.record({
    command: fc.constantFrom("run {{ x }}", "{{ command }}"),
    env: fc.oneof(fc.constant<Template>("{{ env }}"), dictOf(text(valuePaths), 3) as fc.Arbitrary<Template>),
    labels: fc.constant("{{ labels }}"),
    name: fc.constantFrom("n-{{ x }}-{{ d }}", "{{ name }}"),
    extra: templateOf(text(valuePaths)),
  });
  const fromTemplate = sample(
    fc.tuple(jobConfiguration, xyd, dictOf(value), dictOf(fc.string({ maxLength: 4 })), fc.string()),
    34,
  ).map(([jc, { x, y, d }, env, labels, command]): OracleCase => {
    const properties = { x: { default: x }, d: { default: d }, env: {}, labels: {}, command: {} };
    return {
      op: "fromTemplate",
      baseJobTemplate: encode({
        job_configuration: jc,
        variables: { type: "object", properties },
      } as Template),
      values: encode({ y, env, labels, command }),
      env: ENV,
    };
  });
  // Names embed the parameters (a whole-value name keeps a non-string value in Prefect, where
  // pushpool str()s it), and parameters hold no lone surrogates (Prefect fails to encode them).
  const parameterPaths = valuePaths.map((p) => `ctx.flow_run.parameters.${p}`);
  const parameters = xyd.filter((p) => !JSON.stringify(encode(p)).includes("\\ud800"));
  const render = sample(
    fc.tuple(parameters, placeholderString(parameterPaths), dictOf(value), dictOf(value), value),
    35,
  ).map(
    ([parameters, name, env, deploymentEnv, cpu]) =>
      renderCase(
        "gen",
        parameters as JsonObject,
        { name: `p-${name}`, env },
        { env: deploymentEnv, cpu },
      ) as OracleCase,
  );
  return [...apply, ...variables, ...blocks, ...fromTemplate, ...render];
}

const cases = generate();
let oracle: OracleOutput;
let oracleMs = 0;

beforeAll(() => {
  const started = Date.now();
  oracle = runOracle(cases);
  oracleMs = Date.now() - started;
}, 1_800_000);

describe(`exact values vs Prefect (seed ${FUZZ_SEED}, ${PER_OP} per op)`, () => {
  it("the oracle answered every case in one process", () => {
    expect(cases).toHaveLength(OPS.length * PER_OP);
    expect(oracle.results).toHaveLength(cases.length);
    console.info(`exact values fuzz: ${cases.length} cases, oracle ${oracleMs} ms`);
  });

  for (const op of OPS) {
    it(`${op}: identical results or errors`, async () => {
      const mismatches: string[] = [];
      let count = 0;
      for (const [i, c] of cases.entries()) {
        if (c.op !== op) continue;
        count += 1;
        const theirs = oracle.results[i] as Outcome;
        const mine = await ours(c, oracle.meta);
        if (!isDeepStrictEqual(comparable(c, mine), comparable(c, theirs)))
          mismatches.push(JSON.stringify({ case: i, c, ours: mine, prefect: theirs }));
      }
      console.info(`exact values fuzz ${op}: ${count - mismatches.length}/${count} identical`);
      expect(count).toBe(PER_OP);
      expect(mismatches.slice(0, 3)).toEqual([]);
    });
  }

  it("the generated cases reach big ints and ordered dicts in successful results", () => {
    for (const op of OPS) {
      const results = cases.flatMap((c, i) => (c.op === op ? [oracle.results[i]] : []));
      const ok = results.filter((r) => r && "ok" in r).map((r) => JSON.stringify(r));
      // A big int whole ($int) or printed (16+ digits); an integer-like-key dict whole or printed.
      const bigInts = ok.filter((t) => /"\$int"|\d{16}/.test(t));
      const ordered = ok.filter((t) => /"\$dict"|[{ ]'\d+': /.test(t));
      console.info(
        `${op}: ${ok.length} ok, ${bigInts.length} with big ints, ${ordered.length} with int-like keys`,
      );
      expect(ok.length, op).toBeGreaterThan(PER_OP / 2);
      expect(bigInts.length, op).toBeGreaterThan(PER_OP / 10);
      expect(ordered.length, op).toBeGreaterThan(PER_OP / 10);
    }
  });
});
