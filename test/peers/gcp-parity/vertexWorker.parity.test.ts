/**
 * Parity with Prefect's own Vertex AI worker (PyPI prefect-gcp 0.6.22 in the pinned .venv): for
 * every case in vertexCases.ts, what pushpool prepares equals what prefect-gcp's worker prepares
 * for the same pool, deployment and flow run — the prepared `job_spec` (env, command, run-as
 * account), the CustomJob's labels and display name, the project and region, and the refusals —
 * modulo the declared differences of docs/parity/differences.md (its Vertex AI section, read here:
 * each row has exactly one normaliser below, which checks each side's value has the row's shape
 * before removing the difference). Prefect's side runs in ONE Python process.
 *
 * Then each side SUBMITS every rendered case to the same JobService fake: Prefect's worker through
 * its own `run()` (`_build_job_spec`, Google's Python `JobServiceAsyncClient` over gRPC to the
 * fake's gRPC face, the watch loop — the fake creates jobs already SUCCEEDED), pushpool through the
 * real Node `JobServiceClient` (REST, as the runtime sends it). The two RECORDED CreateCustomJob
 * requests (parent and CustomJob, as proto3 JSON) must be equal field by field, modulo the same
 * table rows (each normaliser has a `wire` half); each case also checks what arrived on both.
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
import { toSdk } from "../../../functions/gcp/vertexProtoJson.ts";
import { readTable } from "../aws-parity/differences.ts";
import { VertexFake } from "../gcp/vertexFake.ts";
import { serveVertexGrpc, type VertexGrpcServer } from "../gcp/vertexGrpc.ts";
import type { CaseInput } from "./harness.ts";
import { KEY_PLACEHOLDER, VERTEX_CASES, type VertexCase } from "./vertexCases.ts";
import {
  ADC_ACCOUNT,
  type OurSide,
  runPrefectVertex,
  runPushpoolVertex,
  type VertexDriverOutput,
  type VertexOutcome,
  type VertexRun,
  vertexCaseInput,
} from "./vertexHarness.ts";
import { receivedCustomJob } from "./vertexWire.ts";

const TABLE = join(import.meta.dirname, "..", "..", "..", "docs", "parity", "differences.md");
const SECTION = "Vertex AI";
const ALWAYS = ["CustomJob.display_name", `CustomJob.labels.${TOKEN_LABEL}`];

function tableRows(): string[] {
  const rows = readTable(TABLE, SECTION).map((r) => r.path);
  if (rows.length === 0) throw new Error(`no '## ${SECTION}' table in ${TABLE}`);
  return rows;
}

type Sides = { ours: VertexOutcome; prefect: VertexOutcome; side: OurSide };
/** One recorded CreateCustomJob: its parent and its CustomJob (proto3 JSON). */
type Create = {
  parent: string;
  customJob: JsonObject & { displayName: string; labels: Record<string, string> };
};
type Wire = { ours: Create; prefect: Create; side: OurSide };

const DISPLAY = /^(.*)-([0-9a-f]{32})$/;

/** Both display names have the row's shape (same name; ours ends with the token's hex). */
function sameDisplayShape(ours: string, prefect: string, token?: string): void {
  const a = DISPLAY.exec(ours);
  const b = DISPLAY.exec(prefect);
  expect(b).not.toBeNull();
  expect(a?.[1]).toBe(b?.[1]);
  expect(a?.[2]).toBe(token?.slice(3));
}

/** Ours carries the claim token label, Prefect's has none. */
function tokenLabelOnlyOurs(ours: Record<string, string>, prefect: Record<string, string>, token?: string) {
  expect(ours[TOKEN_LABEL]).toBe(token);
  expect(token).toMatch(TOKEN_PATTERN);
  expect(prefect).not.toHaveProperty(TOKEN_LABEL);
  delete ours[TOKEN_LABEL];
}

/**
 * One normaliser per table row, with two halves: `prepared` (the rendered outcomes) and `wire` (the
 * recorded CreateCustomJob requests). Each checks both sides' shapes, then removes the difference.
 */
const NORMALISERS: Record<string, { prepared(s: Sides): Promise<void> | void; wire(w: Wire): void }> = {
  "CustomJob.display_name": {
    prepared: ({ ours, prefect, side }) => {
      if (!("ok" in ours) || !("ok" in prefect)) return;
      sameDisplayShape(ours.ok.displayName, prefect.ok.displayName, side.token);
      ours.ok.displayName = prefect.ok.displayName = "<display name>";
    },
    wire: ({ ours, prefect, side }) => {
      sameDisplayShape(ours.customJob.displayName, prefect.customJob.displayName, side.token);
      ours.customJob.displayName = prefect.customJob.displayName = "<display name>";
    },
  },
  [`CustomJob.labels.${TOKEN_LABEL}`]: {
    prepared: ({ ours, prefect, side }) => {
      if (!("ok" in ours) || !("ok" in prefect)) return;
      tokenLabelOnlyOurs(ours.ok.labels, prefect.ok.labels, side.token);
    },
    wire: ({ ours, prefect, side }) =>
      tokenLabelOnlyOurs(ours.customJob.labels, prefect.customJob.labels, side.token),
  },
  "job_spec.service_account_name (the function's identity)": {
    // Prefect's worker refuses at prepare, so it never sends a CreateCustomJob to compare with.
    wire: () => {
      throw new Error("a case with no run-as account has no Prefect request on the wire");
    },
    prepared: async (s) => {
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
  },
};

/** Per case: both sides' outcomes, and what the worker's own run() returned (when it ran). */
const runs: Array<{
  c: VertexCase;
  input: CaseInput;
  sides: Sides;
  prefectRun?: VertexRun;
  /** Our project as rendered (null: the runtime asks ADC, here `parity-adc-project`). */
  project: string | null;
}> = [];
let meta: VertexDriverOutput["meta"];
let fake: VertexFake;
let grpc: VertexGrpcServer;

/** Replaces the key placeholder in a case's variables with a fresh RSA private key (PEM). */
function withKey(vars: JsonObject, pem: string): JsonObject {
  return JSON.parse(
    JSON.stringify(vars).replaceAll(KEY_PLACEHOLDER, pem.replaceAll("\n", "\\n")),
  ) as JsonObject;
}

beforeAll(async () => {
  fake = await new VertexFake().start();
  fake.succeedOnCreate = true; // the worker's watch loop ends at its first GetCustomJob
  grpc = await serveVertexGrpc(fake);
  const pem = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({
    type: "pkcs8",
    format: "pem",
  }) as string;
  const probe = await runPrefectVertex([]);
  const inputs = VERTEX_CASES.map((c) => {
    const t = structuredClone(probe.meta.workerTemplate) as JsonObject;
    c.template?.(t as never);
    return vertexCaseInput(c.name, t, withKey(c.vars, pem), c.runVars, c.runName);
  });
  const driver = await runPrefectVertex(inputs, `127.0.0.1:${grpc.port}`);
  meta = driver.meta;
  for (const [i, input] of inputs.entries()) {
    const c = VERTEX_CASES[i] as VertexCase;
    const prefect = driver.results[i];
    if (!prefect) throw new Error(`no result for ${c.name}`);
    const side = await runPushpoolVertex(input, driver.meta);
    // The worker's run() is compared on the wire, not as part of the prepared outcome.
    const prefectRun = "ok" in prefect ? prefect.run : undefined;
    if ("ok" in prefect) delete prefect.run;
    const project = "ok" in side.outcome ? side.outcome.ok.project : null;
    runs.push({ c, input, sides: { prefect, ours: side.outcome, side }, prefectRun, project });
  }
}, 240_000);

afterAll(async () => {
  await grpc?.stop();
  await fake?.stop();
});

describe("Vertex AI: pushpool's CustomJob = prefect-gcp's Vertex worker's", () => {
  it("runs every case on both sides (at least 10)", () => {
    expect(runs.length).toBe(VERTEX_CASES.length);
    expect(runs.length).toBeGreaterThanOrEqual(10);
    expect(meta.aiplatform).toBe(true); // the worker's run() needs google-cloud-aiplatform
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
      for (const row of [...ALWAYS, ...(c.differences ?? [])]) await NORMALISERS[row]?.prepared(s);
      if ("ok" in s.ours && "ok" in s.prefect) {
        // A project only where the block or its key names one; otherwise each side asks ADC.
        if (s.ours.ok.project === null) expect(s.prefect.ok.project).toBe("parity-adc-project");
        else expect(s.ours.ok.project).toBe(s.prefect.ok.project);
        s.ours.ok.project = s.prefect.ok.project = null;
      }
      expect(s.ours).toEqual(s.prefect);
    });

  for (const c of VERTEX_CASES.filter((x) => !x.fails && !x.differences?.length))
    it(`on the wire, Prefect's worker's CreateCustomJob = pushpool's: ${c.name}`, async () => {
      const run = runs.find((r) => r.c === c);
      const side = run?.sides.side;
      const prefect = run?.sides.prefect;
      const { request, body } = side ?? {};
      if (!side || !request || !body || !prefect || !("ok" in prefect))
        throw new Error("a side did not render");
      // Prefect's worker ran to the end against the fake: its endpoint, its request.
      const prefectRun = run?.prefectRun;
      expect(prefectRun).toEqual({
        statusCode: 0,
        identifier: expect.stringMatching(DISPLAY),
        apiEndpoint: `${request.region}-aiplatform.googleapis.com`,
      });
      if (!prefectRun || !("identifier" in prefectRun)) throw new Error("Prefect's worker did not run");
      const identifier = prefectRun.identifier;
      const theirs = fake.requests.filter(
        (r) =>
          r.method === "GRPC" &&
          r.path === "CreateCustomJob" &&
          (r.body?.customJob as JsonObject | undefined)?.displayName === identifier,
      );
      expect(theirs).toHaveLength(1);
      const sentByPrefect = theirs[0]?.body as { parent: string; customJob: unknown };

      // pushpool's body through the real Node client (REST), to the same project and region.
      const api = vertexApiFactory({
        apiEndpoint: "127.0.0.1",
        port: fake.port,
        protocol: "http",
        authClient: new gax.googleAuthLibrary.PassThroughClient(),
      })(request.credentials, request.region);
      const parent = `projects/${run?.project ?? "parity-adc-project"}/locations/${request.region}`;
      const created = await api.createCustomJob(parent, body);
      expect(created.name).toMatch(new RegExp(`^${parent}/customJobs/\\d+$`));
      const ours = fake.requests
        .filter((r) => r.method === "POST" && r.path === `/v1/${parent}/customJobs`)
        .filter((r) => r.body?.displayName === body.displayName);
      expect(ours).toHaveLength(1);

      // Both as the message Vertex receives (the REST client sends enums as numbers, gRPC protos).
      const wire = {
        ours: { parent, customJob: receivedCustomJob(toSdk("CustomJob", ours[0]?.body)) },
        prefect: { parent: sentByPrefect.parent, customJob: receivedCustomJob(sentByPrefect.customJob) },
        side,
      } as Wire;
      c.sent?.(wire.ours.customJob as never);
      c.sent?.(wire.prefect.customJob as never);
      for (const row of ALWAYS) NORMALISERS[row]?.wire(wire);
      expect(wire.ours).toEqual(wire.prefect);
    });

  it("Prefect's worker submits nothing for a case it refuses", () => {
    for (const run of runs.filter((r) => r.c.fails || r.c.differences?.length))
      expect(run.prefectRun).toBeUndefined();
    const creates = fake.requests.filter((r) => r.method === "GRPC" && r.path === "CreateCustomJob");
    expect(creates).toHaveLength(runs.filter((r) => !r.c.fails && !r.c.differences?.length).length);
  });

  it("docs/parity/differences.md (Vertex AI) and the normalisers match one to one", () => {
    expect(tableRows().sort()).toEqual(Object.keys(NORMALISERS).sort());
    for (const n of Object.values(NORMALISERS)) expect(typeof n.wire).toBe("function");
    const used = new Set([...ALWAYS, ...VERTEX_CASES.flatMap((c) => c.differences ?? [])]);
    expect([...used].sort()).toEqual(Object.keys(NORMALISERS).sort());
  });
});
