/**
 * Parity with Prefect's own Cloud Run v2 worker configuration (PyPI prefect-gcp 0.6.22 in the
 * pinned .venv): for every case in cases.ts, the CreateJob body pushpool prepares equals the
 * `job_body` prefect-gcp's `CloudRunWorkerJobV2Configuration` prepares for the same pool,
 * deployment and flow run — and so do the region, `keep_job`, the project a block names and the
 * refusals — modulo the declared differences of docs/parity/differences.md (its Cloud Run v2
 * section, read here: each row has exactly one normaliser below, which checks each side's value
 * has the row's shape before removing the difference). Prefect's side runs in ONE Python process.
 */
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_IMAGE } from "../../../core/backends/cloud-run-v2/index.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { readTable } from "../aws-parity/differences.ts";
import { CASES, type ParityCase } from "./cases.ts";
import {
  type CaseInput,
  caseInput,
  type DriverOutput,
  type Outcome,
  runPrefect,
  runPushpool,
} from "./harness.ts";

const TABLE = join(import.meta.dirname, "..", "..", "..", "docs", "parity", "differences.md");
const SECTION = "Cloud Run v2";

/** The path cells of the Cloud Run v2 section's table. */
function tableRows(): string[] {
  const rows = readTable(TABLE, SECTION).map((r) => r.path);
  if (rows.length === 0) throw new Error(`no '## ${SECTION}' table in ${TABLE}`);
  return rows;
}

type Ok = Extract<Outcome, { ok: unknown }>["ok"];
type Sides = { ours: Outcome; prefect: Outcome; meta: DriverOutput["meta"] };

const slugOf = (name: string, suffix: RegExp) => {
  const m = suffix.exec(name);
  if (!m?.[1]) throw new Error(`job id '${name}' is not <slug>-<suffix>`);
  return m[1];
};
const OURS_ID = /^([a-z][a-z0-9-]{0,45})-[0-9a-f]{16}$/;
const PREFECT_ID = /^(.*)-[0-9a-f]{7}$/;
const cut = (slug: string, n: number) => slug.slice(0, n).replace(/-+$/, "");
const main = (o: Ok) =>
  (((o.jobBody.template as JsonObject).template as JsonObject).containers as JsonObject[])[0] as JsonObject;

/** One normaliser per table row: checks both sides' shapes, then removes the difference. */
const NORMALISERS: Record<string, (s: Sides) => void> = {
  "CreateJob.jobId": ({ ours, prefect }) => {
    if (!("ok" in ours) || !("ok" in prefect)) return;
    expect(ours.ok.jobName.length).toBeLessThanOrEqual(63);
    const theirs = slugOf(prefect.ok.jobName, PREFECT_ID);
    if (/^[a-z]/.test(theirs)) expect(slugOf(ours.ok.jobName, OURS_ID)).toBe(cut(theirs, 46));
    ours.ok.jobName = prefect.ok.jobName = "<job id>";
  },
  "CreateJob.jobId (leading non-letter)": ({ ours, prefect }) => {
    if (!("ok" in ours) || !("ok" in prefect)) throw new Error("both sides must render");
    const theirs = slugOf(prefect.ok.jobName, PREFECT_ID);
    expect(theirs).toMatch(/^[^a-z]/);
    expect(slugOf(ours.ok.jobName, OURS_ID)).toBe(cut(`job-${theirs}`, 46));
    ours.ok.jobName = prefect.ok.jobName = "<job id>";
  },
  "job_body.template.template.containers[0].image (default)": ({ ours, prefect, meta }) => {
    if (!("ok" in ours) || !("ok" in prefect)) throw new Error("both sides must render");
    expect(main(ours.ok).image).toBe(DEFAULT_IMAGE);
    expect(main(prefect.ok).image).toBe(`docker.io/${meta.defaultImage}`);
    main(ours.ok).image = main(prefect.ok).image = "<default image>";
  },
  "job_body.template.template.containers[0].env (absent)": (s) => {
    if (!("error" in s.prefect) || !("ok" in s.ours)) throw new Error("Prefect fails, pushpool renders");
    expect(s.prefect.error).toEqual({ class: "KeyError", message: "'env'" });
    expect(Array.isArray(main(s.ours.ok).env)).toBe(true);
    s.ours = s.prefect = { error: { class: "<absent env>", message: "" } };
  },
};

const runs: Array<{ c: ParityCase; input: CaseInput; sides: Sides }> = [];

beforeAll(async () => {
  const probe = runPrefect([]);
  const template = probe.meta.workerTemplate;
  const inputs = CASES.map((c) => {
    const t = structuredClone(template) as JsonObject;
    c.template?.(t as never);
    return caseInput(c.name, t, c.vars, c.runVars, c.runName);
  });
  const driver = runPrefect(inputs);
  for (const [i, input] of inputs.entries()) {
    const c = CASES[i] as ParityCase;
    const prefect = driver.results[i];
    if (!prefect) throw new Error(`no result for ${c.name}`);
    runs.push({
      c,
      input,
      sides: { prefect, ours: await runPushpool(input, driver.meta), meta: driver.meta },
    });
  }
}, 120_000);

describe("Cloud Run v2: pushpool's CreateJob body = prefect-gcp's job_body", () => {
  it("runs every case on both sides (at least 15)", () => {
    expect(runs.length).toBe(CASES.length);
    expect(runs.length).toBeGreaterThanOrEqual(15);
  });

  for (const c of CASES)
    it(c.name, () => {
      const run = runs.find((r) => r.c === c);
      if (!run) throw new Error("case did not run");
      const s = run.sides;
      if (c.fails) {
        for (const side of [s.ours, s.prefect]) {
          if (!("error" in side)) throw new Error(`expected a refusal, got ${JSON.stringify(side)}`);
          expect(side.error.message).toMatch(c.fails);
        }
        return;
      }
      for (const row of c.differences ?? []) NORMALISERS[row]?.(s);
      if (!c.differences?.some((d) => d.startsWith("CreateJob.jobId"))) NORMALISERS["CreateJob.jobId"]?.(s);
      if ("ok" in s.ours && "ok" in s.prefect) {
        // A project only where the block names one; otherwise each side asks ADC (the adapter does, at run time).
        if (s.ours.ok.project === null) expect(s.prefect.ok.project).toBe("parity-adc-project");
        else expect(s.ours.ok.project).toBe(s.prefect.ok.project);
        s.ours.ok.project = s.prefect.ok.project = null;
      }
      expect(s.ours).toEqual(s.prefect);
    });

  it("docs/parity/differences.md (Cloud Run v2) and the normalisers match one to one", () => {
    expect(tableRows().sort()).toEqual(Object.keys(NORMALISERS).sort());
    const used = new Set(["CreateJob.jobId", ...CASES.flatMap((c) => c.differences ?? [])]);
    expect([...used].sort()).toEqual(Object.keys(NORMALISERS).sort());
  });
});
