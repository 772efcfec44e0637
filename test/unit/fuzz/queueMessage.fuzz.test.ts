/**
 * Fuzzing the queue envelope: arbitrary bytes, arbitrary JSON and near-valid messages through
 * `parseQueueMessage` and `handleMessage`, with a fake Prefect that records every call. Invalid input
 * is never an unhandled exception, never a Prefect write, and always a precise reason; valid
 * messages about unknown runs write nothing; redelivering a real message never starts a second run.
 */

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringifyJson } from "../../../core/prefect/json.ts";
import { handleMessage } from "../../../core/runtime/handleMessage.ts";
import { parseQueueMessage, QueueMessage } from "../../../core/runtime/messages.ts";
import { fcParams, regressions } from "../../fuzz/fuzzConfig.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { makeDeps } from "../fakes/ports.ts";

const WRITES = /^(setState|createFlowRun|setInfrastructurePid|updateFlowRunLabels|updateWorkPoolTemplate)\b/;
const PRECISE = /^ValidationError: (message body is not JSON: .+|invalid message: (\(root\)|[\w.]+): .+)$/s;

function world() {
  const api = new FakePrefect();
  api.addPool("pool");
  const dep = api.addDeployment("pool");
  const run = api.addRun(dep, new Date("2026-11-28T11:59:00Z"));
  const { deps, queue, backend } = makeDeps(api);
  return { api, deps, queue, backend, dep, run };
}

/** Handles `body` and checks the rejection contract: a precise reason, nothing written or sent. */
async function expectRejected(body: string): Promise<string> {
  const w = world();
  const outcome = await handleMessage(body, w.deps);
  expect(outcome.kind).toBe("rejected");
  const reason = outcome.kind === "rejected" ? outcome.reason : "";
  expect(reason).toMatch(PRECISE);
  expect(w.api.calls.filter((c) => WRITES.test(c))).toEqual([]);
  expect(w.queue.sent).toEqual([]);
  expect(w.backend.submits).toEqual([]);
  expect(() => parseQueueMessage(body)).toThrow(reason.replace(/^ValidationError: /, ""));
  return reason;
}

const isValid = (body: string) => {
  try {
    return QueueMessage.safeParse(JSON.parse(body)).success;
  } catch {
    return false;
  }
};

const uuid = fc.uuid();
const iso = fc
  .date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true })
  .map((d) => d.toISOString());
const dispatchArb = fc.record(
  {
    v: fc.constant(1),
    kind: fc.constant("dispatch"),
    flowRunId: uuid,
    pool: fc.string({ minLength: 1, maxLength: 40 }),
    notBefore: iso,
    source: fc.string({ minLength: 1, maxLength: 40 }),
  },
  { requiredKeys: ["v", "kind", "flowRunId", "pool", "source"] },
);
const triggerArb = fc.record(
  {
    v: fc.constant(1),
    kind: fc.constant("trigger"),
    deployment: fc.oneof(
      uuid,
      fc
        .tuple(fc.stringMatching(/^[a-z-]{1,12}$/), fc.stringMatching(/^[a-z-]{1,12}$/))
        .map(([a, b]) => `${a}/${b}`),
    ),
    parameters: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
    idempotencyKey: fc.string({ minLength: 1, maxLength: 60 }),
    scheduledTime: iso,
    source: fc.string({ minLength: 1, maxLength: 40 }),
  },
  { requiredKeys: ["v", "kind", "deployment", "idempotencyKey", "source"] },
);
const validArb = fc.oneof(dispatchArb, triggerArb) as fc.Arbitrary<Record<string, unknown>>;

/** Breaks a valid message in one way the schema must catch. */
const mutation = fc.oneof(
  fc
    .constantFrom("v", "kind", "flowRunId", "pool", "source", "deployment", "idempotencyKey")
    .map((k) => ({ drop: k })),
  fc
    .tuple(
      fc.constantFrom(
        "v",
        "kind",
        "flowRunId",
        "pool",
        "source",
        "notBefore",
        "deployment",
        "parameters",
        "idempotencyKey",
        "scheduledTime",
      ),
      fc.oneof(
        fc.constantFrom<unknown>(null, 0, 2, "", "not-a-uuid", "2026-13-01", [], {}, true, "x".repeat(501)),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    )
    .map(([k, v]) => ({ set: k, value: v })),
  fc.string({ minLength: 1, maxLength: 12 }).map((k) => ({ set: `extra_${k}`, value: 1 })),
);

function mutate(message: Record<string, unknown>, m: { drop: string } | { set: string; value: unknown }) {
  const out = { ...message };
  if ("drop" in m) delete out[m.drop];
  else out[m.set] = m.value;
  return out;
}

describe("queue message fuzzing", () => {
  it("arbitrary bytes are rejected with a precise reason and no write", async () => {
    const bytes = fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString("utf8"));
    const nasty = fc.constantFrom(
      "",
      "\ufeff{}",
      "[".repeat(20_000) + "]".repeat(20_000),
      '{"__proto__": {"v": 1, "kind": "dispatch"}}',
      '{"kind": "dispatch", "kind": "trigger"}',
      '{"v": 1e400}',
      "null",
      '"\\ud800"',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(bytes, fc.string({ maxLength: 300, unit: "binary" }), nasty),
        async (body) => {
          fc.pre(!isValid(body));
          await expectRejected(body);
        },
      ),
      fcParams(300, 1),
    );
  }, 120_000);

  it("arbitrary JSON that is not a message is rejected with the path of the problem", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), async (value) => {
        const body = JSON.stringify(value);
        fc.pre(!isValid(body));
        expect(await expectRejected(body)).toMatch(/^ValidationError: invalid message: /);
      }),
      fcParams(300, 2),
    );
  }, 120_000);

  it("a valid message broken in one place is rejected, naming the field", async () => {
    await fc.assert(
      fc.asyncProperty(validArb, mutation, async (message, m) => {
        const broken = mutate(message, m);
        const body = JSON.stringify(broken);
        fc.pre(!isValid(body));
        const reason = await expectRejected(body);
        const field = "drop" in m ? m.drop : m.set;
        if (field !== "kind" && "kind" in broken && ["dispatch", "trigger"].includes(broken.kind as string))
          expect(reason).toMatch(new RegExp(`(\\(root\\)|${field.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")})`));
      }),
      fcParams(300, 3),
    );
  }, 120_000);

  it("valid messages round-trip, and about unknown runs or deployments write nothing", async () => {
    await fc.assert(
      fc.asyncProperty(validArb, async (message) => {
        const body = JSON.stringify(message);
        // Exact values: floats stay Python floats, so the message writes back as the same JSON text.
        expect(stringifyJson(parseQueueMessage(body))).toBe(body);
        const w = world();
        const outcome = await handleMessage(body, w.deps);
        expect(w.api.calls.filter((c) => WRITES.test(c))).toEqual([]);
        expect(w.backend.submits).toEqual([]);
        if (message.kind === "trigger")
          expect(outcome).toMatchObject({
            kind: "rejected",
            reason: expect.stringMatching(/^DeploymentNotFoundError: deployment '.+' not found$/s),
          });
        else expect(["skipped", "deferred"]).toContain(outcome.kind === "dispatch" && outcome.result.outcome);
      }),
      fcParams(300, 4),
    );
  }, 120_000);

  it("redelivering a message for a real run, any number of times, starts it at most once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.option(iso, { nil: undefined }),
        fc.string({ minLength: 1, maxLength: 20 }),
        async (times, notBefore, source) => {
          const w = world();
          const body = JSON.stringify({
            v: 1,
            kind: "dispatch",
            flowRunId: w.run.id,
            pool: "pool",
            source,
            ...(notBefore ? { notBefore } : {}),
          });
          for (let i = 0; i < times; i++) await handleMessage(body, w.deps);
          expect(new Set(w.backend.submits.map((s) => s.token)).size).toBeLessThanOrEqual(1);
          expect(w.api.calls.filter((c) => c.startsWith("setState PENDING")).length).toBeLessThanOrEqual(1);
          const after = w.api.runs.get(w.run.id);
          if (w.backend.submits.length > 0) expect(after?.infrastructure_pid).toMatch(/^pid-/);
          else expect(after?.state_type).toBe("SCHEDULED");
        },
      ),
      fcParams(100, 5),
    );
  }, 120_000);

  it("replays the kept regression cases", async () => {
    const kept = regressions<{ body: string }>("queueMessage");
    expect(kept.length).toBeGreaterThan(0);
    for (const r of kept) await expectRejected(r.case.body);
  });
});
