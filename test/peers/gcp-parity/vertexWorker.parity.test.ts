/**
 * Parity with Prefect's own Vertex AI worker (PyPI prefect-gcp 0.6.22 in the pinned .venv): for
 * every case in vertexCases.ts, what pushpool prepares equals what prefect-gcp's worker prepares
 * for the same pool, deployment and flow run — the prepared `job_spec` (env, command, run-as
 * account), the CustomJob's labels and display name, the project and region, and the refusals —
 * modulo the declared differences of docs/parity/differences.md (its Vertex AI section, read here:
 * each row has exactly one normaliser below, which checks each side's value has the row's shape
 * before removing the difference). Prefect's side runs in ONE Python process.
 *
 * Then pushpool's CreateCustomJob body of every rendered case goes through the real
 * `JobServiceClient` (REST) to the JobService fake, which decodes it with aiplatform's protos; each
 * case checks what arrived (scheduling, accelerators, network…). Prefect's own CreateCustomJob
 * cannot be recorded here: its `_build_job_spec` and client need the Python google-cloud-aiplatform
 * package, which the pinned venv does not have (`meta.aiplatform` says so); the build step is
 * covered by test/unit/vertex-ai/customJob.test.ts against the worker's code as documented there.
 */
import { generateKeyPairSync } from "node:crypto";
import { join } from "node:path";
import gax from "google-gax";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TOKEN_PATTERN } from "../../../core/backends/token.ts";
import { NO_SERVICE_ACCOUNT } from "../../../core/backends/vertex-ai/customJob.ts";
import { TOKEN_LABEL, VertexBackend } from "../../../core/backends/vertex-ai/index.ts";
import type { VertexApi } from "../../../core/backends/vertex-ai/port.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { vertexApiFactory } from "../../../functions/gcp/vertexApi.ts";
import { toRest, toSdk } from "../../../functions/gcp/vertexProtoJson.ts";
import { readTable } from "../aws-parity/differences.ts";
import { VertexFake } from "../gcp/vertexFake.ts";
import type { CaseInput } from "./harness.ts";
import { KEY_PLACEHOLDER, VERTEX_CASES, type VertexCase } from "./vertexCases.ts";
import {
  ADC_ACCOUNT,
  type OurSide,
  runPrefectVertex,
  runPushpoolVertex,
  type VertexDriverOutput,
  type VertexOutcome,
  vertexCaseInput,
} from "./vertexHarness.ts";

const TABLE = join(import.meta.dirname, "..", "..", "..", "docs", "parity", "differences.md");
const SECTION = "Vertex AI";
const ALWAYS = ["CustomJob.display_name", `CustomJob.labels.${TOKEN_LABEL}`];

function tableRows(): string[] {
  const rows = readTable(TABLE, SECTION).map((r) => r.path);
  if (rows.length === 0) throw new Error(`no '## ${SECTION}' table in ${TABLE}`);
  return rows;
}

type Sides = { ours: VertexOutcome; prefect: VertexOutcome; side: OurSide };

const DISPLAY = /^(.*)-([0-9a-f]{32})$/;

/** One normaliser per table row: checks both sides' shapes, then removes the difference. */
const NORMALISERS: Record<string, (s: Sides) => Promise<void> | void> = {
  "CustomJob.display_name": ({ ours, prefect, side }) => {
    if (!("ok" in ours) || !("ok" in prefect)) return;
    const a = DISPLAY.exec(ours.ok.displayName);
    const b = DISPLAY.exec(prefect.ok.displayName);
    expect(a?.[1]).toBe(b?.[1]);
    expect(a?.[2]).toBe(side.token?.slice(3));
    ours.ok.displayName = prefect.ok.displayName = "<display name>";
  },
  [`CustomJob.labels.${TOKEN_LABEL}`]: ({ ours, prefect, side }) => {
    if (!("ok" in ours) || !("ok" in prefect)) return;
    expect(ours.ok.labels[TOKEN_LABEL]).toBe(side.token);
    expect(side.token).toMatch(TOKEN_PATTERN);
    expect(prefect.ok.labels).not.toHaveProperty(TOKEN_LABEL);
    delete ours.ok.labels[TOKEN_LABEL];
  },
  "job_spec.service_account_name (the function's identity)": async (s) => {
    if (!("error" in s.prefect) || !("ok" in s.ours)) throw new Error("Prefect refuses, pushpool renders");
    expect(s.prefect.error).toEqual({ class: "ValueError", message: NO_SERVICE_ACCOUNT });
    const request = s.side.request;
    if (!request) throw new Error("no request");
    expect(request.serviceAccountKnown).toBe(false);
    expect(s.ours.ok.jobSpec.service_account_name).toBeNull();
    // At start, the function's identity is asked; none → Prefect's refusal, word for word.
    const port = (email: string | null) =>
      new VertexBackend({
        vertexApiFor: () =>
          ({ project: async () => "p", serviceAccountEmail: async () => email }) as VertexApi,
      });
    await expect(port(null).resolve(request)).rejects.toThrow(InvalidJobConfigurationError);
    await expect(port(null).resolve(request)).rejects.toThrow(NO_SERVICE_ACCOUNT);
    expect((await port(ADC_ACCOUNT).resolve(request)).serviceAccount).toBe(ADC_ACCOUNT);
    s.ours = s.prefect = { error: { class: "<the function's identity>", message: "" } };
  },
};

const runs: Array<{ c: VertexCase; input: CaseInput; sides: Sides }> = [];
let meta: VertexDriverOutput["meta"];
let fake: VertexFake;

/** Replaces the key placeholder in a case's variables with a fresh RSA private key (PEM). */
function withKey(vars: JsonObject, pem: string): JsonObject {
  return JSON.parse(
    JSON.stringify(vars).replaceAll(KEY_PLACEHOLDER, pem.replaceAll("\n", "\\n")),
  ) as JsonObject;
}

beforeAll(async () => {
  fake = await new VertexFake().start();
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  const probe = runPrefectVertex([]);
  const inputs = VERTEX_CASES.map((c) => {
    const t = structuredClone(probe.meta.workerTemplate) as JsonObject;
    c.template?.(t as never);
    return vertexCaseInput(c.name, t, withKey(c.vars, pem), c.runVars, c.runName);
  });
  const driver = runPrefectVertex(inputs);
  meta = driver.meta;
  for (const [i, input] of inputs.entries()) {
    const c = VERTEX_CASES[i] as VertexCase;
    const prefect = driver.results[i];
    if (!prefect) throw new Error(`no result for ${c.name}`);
    const side = await runPushpoolVertex(input, driver.meta);
    runs.push({ c, input, sides: { prefect, ours: side.outcome, side } });
  }
}, 120_000);

afterAll(async () => {
  await fake?.stop();
});

describe("Vertex AI: pushpool's CustomJob = prefect-gcp's Vertex worker's", () => {
  it("runs every case on both sides (at least 10)", () => {
    expect(runs.length).toBe(VERTEX_CASES.length);
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(typeof meta.aiplatform).toBe("boolean");
  });

  for (const c of VERTEX_CASES)
    it(c.name, async () => {
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
      for (const row of [...ALWAYS, ...(c.differences ?? [])]) await NORMALISERS[row]?.(s);
      if ("ok" in s.ours && "ok" in s.prefect) {
        // A project only where the block or its key names one; otherwise each side asks ADC.
        if (s.ours.ok.project === null) expect(s.prefect.ok.project).toBe("parity-adc-project");
        else expect(s.ours.ok.project).toBe(s.prefect.ok.project);
        s.ours.ok.project = s.prefect.ok.project = null;
      }
      expect(s.ours).toEqual(s.prefect);
    });

  for (const c of VERTEX_CASES.filter((x) => !x.fails))
    it(`on the wire: ${c.name}`, async () => {
      const run = runs.find((r) => r.c === c);
      const { request, body } = run?.sides.side ?? {};
      if (!request || !body) throw new Error("pushpool did not render the case");
      const api = vertexApiFactory({
        apiEndpoint: "127.0.0.1",
        port: fake.port,
        protocol: "http",
        authClient: new gax.googleAuthLibrary.PassThroughClient(),
      })(request.credentials, request.region);
      const parent = `projects/parity/locations/${request.region}`;
      const created = await api.createCustomJob(parent, body);
      expect(created.name).toMatch(new RegExp(`^${parent}/customJobs/\\d+$`));
      const sent = fake.requests
        .filter((r) => r.method === "POST" && r.path === `/v1/${parent}/customJobs`)
        .pop();
      if (!sent?.body) throw new Error("the fake recorded no CreateCustomJob");
      expect(sent.body.displayName).toBe(body.displayName);
      expect((sent.body.labels as JsonObject)[TOKEN_LABEL]).toBe(run?.sides.side.token);
      // The client sends enums as numbers (`$alt=json;enum-encoding=int`): read it back as proto3 JSON.
      c.sent?.(toRest("CustomJob", toSdk("CustomJob", sent.body)) as never);
    });

  it("docs/parity/differences.md (Vertex AI) and the normalisers match one to one", () => {
    expect(tableRows().sort()).toEqual(Object.keys(NORMALISERS).sort());
    const used = new Set([...ALWAYS, ...VERTEX_CASES.flatMap((c) => c.differences ?? [])]);
    expect([...used].sort()).toEqual(Object.keys(NORMALISERS).sort());
  });
});
