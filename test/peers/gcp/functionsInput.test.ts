/**
 * Bad input of each kind to the GCP functions, served by functions-framework (./functionsWorld.ts):
 * every request gets a precise answer and nothing is lost — a dispatch that can never succeed is
 * acknowledged with its reason, one that keeps failing is retried by Cloud Tasks (503) and
 * dead-lettered on its last attempt; the webhook's signed contract; the cron's header and body; the
 * events function's malformed and foreign events. No secret in any log line.
 */
import * as ff from "@google-cloud/functions-framework";
import { getFunction } from "@google-cloud/functions-framework/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../core/shared/errors.ts";
import { signatureHeader, unixSeconds } from "../../../core/webhook/signature.ts";
import { makeDispatchHandler } from "../../../functions/gcp/dispatch.ts";
import { createRuntime } from "../../../functions/gcp/wiring.ts";
import {
  executionLogEntry,
  type GcpWorld,
  gcpWorld,
  PROJECT,
  post,
  publishLogEntry,
  SECRETS,
  type Served,
  serveFunction,
  TestTasks,
} from "./functionsWorld.ts";

let w: GcpWorld;
const extra: Served[] = [];

beforeAll(async () => {
  w = await gcpWorld("gcpfn-input");
});
afterAll(async () => {
  for (const s of extra) await s.close();
  await w?.close();
});

function signed(body: string, secret = SECRETS.webhook): Record<string, string> {
  const ts = unixSeconds(new Date());
  return { "x-pushpool-timestamp": String(ts), "x-pushpool-signature": signatureHeader(secret, ts, body) };
}

describe("dispatch: bad messages are acknowledged with their reason", () => {
  // Sent as bytes: functions-framework itself answers 400 to a malformed `application/json` body
  // before any handler runs (next test), so the Cloud Tasks adapter sends `application/octet-stream`.
  it("a body that is not JSON (sent as bytes) → 200, rejected, reason logged", async () => {
    w.tasks.add("{not json");
    await w.tasks.deliver(0, "application/octet-stream");
    const answer = w.tasks.answers.at(-1);
    expect(answer?.status).toBe(200);
    expect(answer?.body).toMatchObject({ outcome: "rejected" });
    expect(String(answer?.body.reason)).toContain("message body is not JSON");
    expect(w.tasks.pending).toEqual([]);
    expect(
      w.logs.some((l) => l.includes('"severity":"ERROR"') && l.includes("message body is not JSON")),
    ).toBe(true);
  });

  it("a malformed body labelled application/json is refused by functions-framework (400) before the handler", async () => {
    w.tasks.add("{not json");
    await w.tasks.deliver(0, "application/json");
    expect(w.tasks.answers.at(-1)?.status).toBe(400);
    expect(w.tasks.pending).toHaveLength(1); // Cloud Tasks keeps it for a retry
    w.tasks.pending.length = 0;
  });

  it("valid JSON that is not a queue message → 200, rejected, naming the field", async () => {
    w.tasks.add(
      JSON.stringify({ v: 1, kind: "dispatch", flowRunId: "not-a-uuid", pool: w.pool.name, source: "t" }),
    );
    await w.tasks.deliver();
    const answer = w.tasks.answers.at(-1);
    expect(answer?.status).toBe(200);
    expect(String(answer?.body.reason)).toMatch(/invalid message: flowRunId/);
  });

  it("a request without Cloud Tasks' headers, or with an empty body → 200, rejected, naming what is missing", async () => {
    const direct = await fetch(`${w.url.dispatch}/`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream" },
      body: JSON.stringify({
        v: 1,
        kind: "dispatch",
        flowRunId: "0b6f2a4e-8d1c-4e7a-9f3b-5c2d1e0a9b8c",
        pool: w.pool.name,
        source: "t",
      }),
    });
    expect(direct.status).toBe(200);
    expect(await direct.json()).toMatchObject({
      outcome: "rejected",
      reason: expect.stringContaining("no X-CloudTasks-TaskName header"),
    });
    w.tasks.add("");
    await w.tasks.deliver(0, "application/octet-stream");
    expect(w.tasks.answers.at(-1)).toMatchObject({ status: 200, body: { outcome: "rejected" } });
    expect(String(w.tasks.answers.at(-1)?.body.reason)).toContain("empty body");
    expect(w.tasks.pending).toEqual([]);
  });

  it("a transient failure → 503 (Cloud Tasks retries), then dead-lettered with 200 on the last attempt", async () => {
    const tasks = new TestTasks();
    const deadLetters: { body: string; attributes: Record<string, string> }[] = [];
    const rt = createRuntime({
      env: {
        PREFECT_API_URL: "http://127.0.0.1:9/api",
        PREFECT_CLIENT_MAX_RETRIES: "0",
        PUSHPOOL_POOLS: w.pool.name,
        PUSHPOOL_TASKS_MAX_ATTEMPTS: "3",
      },
      logger: w.rt.logger,
      queue: tasks,
      deadLetter: { publish: async (body, attributes) => void deadLetters.push({ body, attributes }) },
    });
    const served = await serveFunction("gcpfn-input-down", (id) =>
      ff.http(
        id,
        makeDispatchHandler(async () => rt),
      ),
    );
    extra.push(served);
    tasks.target = served.url;
    const body = JSON.stringify({
      v: 1,
      kind: "dispatch",
      flowRunId: "0b6f2a4e-8d1c-4e7a-9f3b-5c2d1e0a9b8c",
      pool: w.pool.name,
      source: "t",
    });
    tasks.add(body);
    await tasks.deliver();
    await tasks.deliver();
    expect(tasks.answers.map((a) => a.status)).toEqual([503, 503]);
    expect(deadLetters).toEqual([]);
    await tasks.deliver();
    expect(tasks.answers.at(-1)).toMatchObject({
      status: 200,
      body: { outcome: "dead-lettered", attempt: 3 },
    });
    expect(tasks.pending).toEqual([]);
    expect(deadLetters).toHaveLength(1);
    expect(deadLetters[0]?.body).toBe(body);
    expect(deadLetters[0]?.attributes).toMatchObject({ attempts: "3", source: "dispatch", task: "task-1" });
  });

  it("a runtime that cannot start → 500 (retried), its reason only in the logs", async () => {
    const served = await serveFunction("gcpfn-input-broken", (id) =>
      ff.http(
        id,
        makeDispatchHandler(() => Promise.reject(new ConfigError("PREFECT_API_URL is not set"))),
      ),
    );
    extra.push(served);
    const res = await post(served.url, "{}");
    expect(res).toEqual({
      status: 500,
      body: { error: "not_ready", message: "the function could not start; see its logs" },
    });
  });
});

describe("webhook: the signed contract", () => {
  const body = () => JSON.stringify({ deployment: w.deployment.id });
  it("a bad signature → 401, a missing one → 401, nothing created", async () => {
    const before = w.tasks.pending.length;
    const forged = await post(
      `${w.url.webhook}/trigger`,
      body(),
      signed(body(), "not-the-secret-0123456789"),
    );
    expect(forged.status).toBe(401);
    expect((await post(`${w.url.webhook}/trigger`, body())).status).toBe(401);
    expect(w.tasks.pending.length).toBe(before);
  });
  it("not JSON → 415 (as text) or 400 (as JSON); no deployment → 422; another path → 404", async () => {
    const bad = "{nope";
    const text = await post(`${w.url.webhook}/trigger`, bad, {
      ...signed(bad),
      "content-type": "text/plain",
    });
    expect(text.status).toBe(415);
    expect((await post(`${w.url.webhook}/trigger`, bad, signed(bad))).status).toBe(400);
    const empty = JSON.stringify({ parameters: {} });
    expect((await post(`${w.url.webhook}/trigger`, empty, signed(empty))).status).toBe(422);
    expect((await post(`${w.url.webhook}/elsewhere`, body(), signed(body()))).status).toBe(404);
  });
});

describe("cron: header and body", () => {
  const ok = () => JSON.stringify({ deployment: w.deployment.id });
  it("a missing X-CloudScheduler-ScheduleTime → 400 naming the header", async () => {
    const res = await post(w.url.cron, ok());
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain("missing X-CloudScheduler-ScheduleTime header");
  });
  it("a malformed time, a body that is not JSON, a body without a deployment → 400 each, with the reason", async () => {
    const at = { "x-cloudscheduler-scheduletime": new Date().toISOString() };
    const time = await post(w.url.cron, ok(), { "x-cloudscheduler-scheduletime": "yesterday" });
    expect(time.status).toBe(400);
    expect(String(time.body.message)).toContain("not an RFC 3339 time");
    const json = await post(w.url.cron, "{oops", { ...at, "content-type": "text/plain" });
    expect(json.status).toBe(400);
    expect(String(json.body.message)).toContain("body is not JSON");
    const schema = await post(w.url.cron, JSON.stringify({ deployment: "no-slash" }), at);
    expect(schema.status).toBe(400);
    expect(String(schema.body.message)).toContain("invalid cron body: deployment");
  });
});

describe("events: malformed and foreign events are acknowledged", () => {
  it("a log entry naming no execution, an execution that is not pushpool's, data that is not JSON → 204", async () => {
    expect(
      await publishLogEntry(w.url.events, { textPayload: "hello", resource: { type: "gce_instance" } }),
    ).toBe(204);
    expect(w.logs.some((l) => l.includes("it names no Cloud Run execution"))).toBe(true);
    const gone = `projects/${PROJECT}/locations/europe-west1/jobs/someone-else/executions/someone-else-abcde`;
    expect(await publishLogEntry(w.url.events, executionLogEntry(gone))).toBe(204);
    expect(w.logs.some((l) => l.includes("the execution no longer exists"))).toBe(true);
    // A messagePublished CloudEvent in binary mode, with the given push message.
    const published = (id: string, message: Record<string, unknown>) =>
      fetch(w.url.events, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "ce-specversion": "1.0",
          "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
          "ce-source": "//pubsub.googleapis.com/",
          "ce-id": id,
        },
        body: JSON.stringify({ message }),
      });
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    expect((await published("bad-1", { data: base64("not json"), messageId: "9" })).status).toBe(204);
    expect(w.logs.some((l) => l.includes("Pub/Sub message data is not JSON"))).toBe(true);
    expect((await published("bad-2", { data: base64("{}") })).status).toBe(204);
    expect(w.logs.some((l) => l.includes("Pub/Sub message has no messageId"))).toBe(true);
  });
});

describe("the entry point and the logs", () => {
  it("index.ts registers dispatch, tick, webhook, cron (HTTP) and events (CloudEvent)", async () => {
    await import("../../../functions/gcp/index.ts");
    for (const name of ["dispatch", "tick", "webhook", "cron", "events"])
      expect(typeof getFunction(name), name).toBe("function");
  });
  it("every line is Cloud Logging JSON with a severity, and no secret appears in any", () => {
    expect(w.logs.length).toBeGreaterThan(0);
    for (const line of w.logs) {
      const entry = JSON.parse(line) as { severity?: string };
      expect(["DEBUG", "INFO", "WARNING", "ERROR"]).toContain(entry.severity);
      expect(line).not.toContain(SECRETS.apiKey);
      expect(line).not.toContain(SECRETS.webhook);
    }
  });
});
