/**
 * CloudTasksQueue with the REAL CloudTasksClient on the Cloud Tasks fake: the task it creates (HTTP
 * POST of the message JSON to the dispatch URL, OIDC token of the service account, scheduleTime =
 * now + delay, capped at 30 days — a task further ahead is refused, as by Cloud Tasks), what the
 * dispatch function receives (tasksEnvelope over the delivered headers), the fake dropping a task
 * after max_attempts, error classification of real gRPC errors, and makeTasksQueue's environment.
 */
import type { AddressInfo } from "node:net";
import * as ff from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import { status } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DispatchMessage } from "../../../core/runtime/messages.ts";
import { ConfigError, TransientError, ValidationError } from "../../../core/shared/errors.ts";
import {
  CloudTasksQueue,
  MAX_TASKS_DELAY_SECONDS,
  makeTasksQueue,
  type TasksDelivery,
  tasksEnvelope,
} from "../../../functions/gcp/tasksQueue.ts";
import { TasksFake } from "./tasksFake.ts";
import { SERVICE_ACCOUNT, startTasksWorld, type TargetRequest, type TasksWorld } from "./tasksWorld.ts";

let world: TasksWorld;
beforeAll(async () => {
  world = await startTasksWorld();
});
afterAll(async () => {
  await world?.stop();
});

const message: DispatchMessage = {
  v: 1,
  kind: "dispatch",
  flowRunId: "7d4a4f3e-5b7e-4c36-9f55-0b1f0b2c6a11",
  pool: "gcp",
  source: "test",
};

async function waitFor(what: string, done: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A queue whose target records each request and answers `answer(n)` to the n-th (from 1). */
async function recordingQueue(answer: (n: number) => number, maxAttempts = 3) {
  const got: { req: TargetRequest; delivery: TasksDelivery }[] = [];
  const q = await world.queue(
    async (req) => {
      got.push({ req, delivery: tasksEnvelope(req) });
      return answer(got.length);
    },
    { maxAttempts, minBackoffMs: 100, maxBackoffMs: 400 },
  );
  const queue = new CloudTasksQueue({
    client: world.client,
    queuePath: q.path,
    targetUrl: q.url,
    serviceAccountEmail: SERVICE_ACCOUNT,
  });
  return { q, queue, got };
}

describe("CloudTasksQueue on the Cloud Tasks fake", () => {
  it("creates an HTTP POST task with the message JSON, the OIDC token and scheduleTime = now + delay", async () => {
    const { q, queue } = await recordingQueue(() => 204);
    const before = Date.now();
    await queue.send(message, { delaySeconds: 120.5 });
    const after = Date.now();
    const [tasks] = await world.client.listTasks({ parent: q.path, responseView: "FULL" });
    expect(tasks).toHaveLength(1);
    const task = tasks[0] ?? {};
    expect(task.httpRequest?.url).toBe(q.url);
    expect(task.httpRequest?.httpMethod).toBe("POST");
    expect(task.httpRequest?.headers).toEqual({ "Content-Type": "application/octet-stream" });
    expect(task.httpRequest?.oidcToken?.serviceAccountEmail).toBe(SERVICE_ACCOUNT);
    expect(JSON.parse(Buffer.from(task.httpRequest?.body as Uint8Array).toString("utf8"))).toEqual(message);
    const scheduled =
      Number(task.scheduleTime?.seconds) * 1000 + Math.floor((task.scheduleTime?.nanos ?? 0) / 1e6);
    expect(scheduled).toBeGreaterThanOrEqual(before + 120_500 - 1);
    expect(scheduled).toBeLessThanOrEqual(after + 120_500);
    const [basic] = await world.client.getTask({ name: task.name ?? "" });
    expect(basic.httpRequest?.body?.length ?? 0).toBe(0); // BASIC view, as Cloud Tasks answers
    await q.close();
  });

  it("delivers the task with Cloud Tasks' headers and a token for the service account; tasksEnvelope reads them", async () => {
    const { q, queue, got } = await recordingQueue(() => 200);
    await queue.send(message);
    await waitFor("the delivery", () => got.length > 0);
    const { req, delivery } = got[0] as (typeof got)[number];
    expect(JSON.parse(delivery.body)).toEqual(message);
    expect(delivery).toMatchObject({ retryCount: 0, executionCount: 0, attempt: 1 });
    expect(delivery.queueName).toBe(q.path.split("/").pop());
    const created = world.fake.requests.filter((r) => r.method === "CreateTask").length;
    expect(created).toBeGreaterThan(0);
    expect(req.headers["content-type"]).toBe("application/octet-stream");
    const token = String(req.headers.authorization).replace(/^Bearer /, "");
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8"));
    expect(claims).toMatchObject({ email: SERVICE_ACCOUNT, aud: q.url });
    await waitFor("the fake's record", () => world.fake.deliveries.some((d) => d.url === q.url));
    const delivered = world.fake.deliveries.find((d) => d.url === q.url);
    expect(delivered?.task.endsWith(`/tasks/${delivery.taskName}`)).toBe(true);
    await q.close();
  });

  it("retries a failing target with growing counts, then Cloud Tasks drops the task after max_attempts", async () => {
    const { q, queue, got } = await recordingQueue(() => 503, 3);
    await queue.send(message);
    await waitFor("the task to be dropped", () => world.fake.dropped.some((d) => d.name.startsWith(q.path)));
    expect(got.map((g) => [g.delivery.attempt, g.delivery.retryCount, g.delivery.executionCount])).toEqual([
      [1, 0, 0],
      [2, 1, 1],
      [3, 2, 2],
    ]);
    expect(new Set(got.map((g) => g.delivery.taskName)).size).toBe(1);
    await new Promise((r) => setTimeout(r, 800));
    expect(got).toHaveLength(3);
    await q.close();
  });

  it("caps a delay beyond 30 days at 30 days; Cloud Tasks refuses a task scheduled further ahead", async () => {
    const { q, queue } = await recordingQueue(() => 204);
    const before = Date.now();
    await queue.send(message, { delaySeconds: MAX_TASKS_DELAY_SECONDS + 86_400 });
    const [tasks] = await world.client.listTasks({ parent: q.path });
    const scheduled = Number(tasks[0]?.scheduleTime?.seconds) * 1000;
    expect(scheduled).toBeGreaterThanOrEqual(before + MAX_TASKS_DELAY_SECONDS * 1000 - 1000);
    expect(scheduled).toBeLessThanOrEqual(Date.now() + MAX_TASKS_DELAY_SECONDS * 1000);
    const uncapped = new CloudTasksQueue({
      client: world.client,
      queuePath: q.path,
      targetUrl: q.url,
      serviceAccountEmail: SERVICE_ACCOUNT,
      now: () => Date.now() + 86_400_000, // a clock a day ahead: the capped delay lands past 30 days
    });
    const error = await uncapped
      .send(message, { delaySeconds: MAX_TASKS_DELAY_SECONDS })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain("INVALID_ARGUMENT");
    await q.close();
  });

  it("classifies real gRPC errors: UNAVAILABLE / RESOURCE_EXHAUSTED transient, a missing queue or a refusal permanent", async () => {
    const { q, queue } = await recordingQueue(() => 204);
    world.fake.failNextCreate(status.UNAVAILABLE);
    await expect(queue.send(message)).rejects.toBeInstanceOf(TransientError);
    world.fake.failNextCreate(status.RESOURCE_EXHAUSTED);
    const throttled = await queue.send(message).catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TransientError);
    expect((throttled as TransientError).retryAfterSeconds).toBe(5);
    world.fake.failNextCreate(status.PERMISSION_DENIED, "cloudtasks.tasks.create denied");
    const denied = await queue.send(message).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ConfigError);
    expect((denied as Error).message).toContain("PERMISSION_DENIED");
    const missing = new CloudTasksQueue({
      client: world.client,
      queuePath: `${q.path}-gone`,
      targetUrl: q.url,
      serviceAccountEmail: SERVICE_ACCOUNT,
    });
    const notFound = await missing.send(message).catch((e: unknown) => e);
    expect(notFound).toBeInstanceOf(ConfigError);
    expect((notFound as Error).message).toContain(`${q.path}-gone`);
    await q.close();
  });
});

describe("the Cloud Tasks fake's task API (real client)", () => {
  it("DeleteTask cancels a scheduled delivery; GetTask is then NOT_FOUND; a used task name is ALREADY_EXISTS", async () => {
    const { q, got } = await recordingQueue(() => 204);
    const name = `${q.path}/tasks/named-1`;
    const task = {
      name,
      scheduleTime: { seconds: Math.floor(Date.now() / 1000) + 2 },
      httpRequest: { url: q.url },
    };
    await world.client.createTask({ parent: q.path, task });
    const again = await world.client.createTask({ parent: q.path, task }).catch((e: unknown) => e);
    expect((again as { code?: number }).code).toBe(status.ALREADY_EXISTS);
    await world.client.deleteTask({ name });
    const gone = await world.client.getTask({ name }).catch((e: unknown) => e);
    expect((gone as { code?: number }).code).toBe(status.NOT_FOUND);
    await new Promise((r) => setTimeout(r, 3000));
    expect(got).toEqual([]);
    const reused = await world.client.createTask({ parent: q.path, task }).catch((e: unknown) => e);
    expect((reused as { code?: number }).code).toBe(status.ALREADY_EXISTS);
    await q.close();
  });
});

describe("a functions-framework HTTP function as the target", () => {
  it("gets the task at its time and reads it with tasksEnvelope (Express headers and rawBody)", async () => {
    const got: TasksDelivery[] = [];
    ff.http("gcpqDispatch", (req, res) => {
      try {
        got.push(tasksEnvelope(req));
        res.status(204).send();
      } catch (error) {
        res.status(400).send((error as Error).message);
      }
    });
    const server = getTestServer("gcpqDispatch");
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const q = await world.queue(async () => 404, { maxAttempts: 3, minBackoffMs: 100, maxBackoffMs: 400 });
    const queue = new CloudTasksQueue({
      client: world.client,
      queuePath: q.path,
      targetUrl: url,
      serviceAccountEmail: SERVICE_ACCOUNT,
    });
    const sentAt = Date.now();
    await queue.send(message, { delaySeconds: 1 });
    await waitFor("the delivery", () => got.length > 0);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1000);
    expect(JSON.parse(got[0]?.body ?? "")).toEqual(message);
    expect(got[0]).toMatchObject({ attempt: 1, retryCount: 0, executionCount: 0 });
    await waitFor("the fake's record", () => world.fake.deliveries.some((d) => d.url === url));
    expect(world.fake.deliveries.find((d) => d.url === url)?.status).toBe(204);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await q.close();
  });
});

describe("no Cloud Tasks at all", () => {
  it("a refused connection is a TransientError (the message being handled is retried, not lost)", async () => {
    const dead = new TasksFake();
    await dead.start();
    const options = dead.clientOptions();
    await dead.stop();
    const queue = makeTasksQueue(
      {
        PUSHPOOL_TASKS_QUEUE: "projects/p/locations/l/queues/q",
        PUSHPOOL_DISPATCH_URL: "https://dispatch.example",
        PUSHPOOL_TASKS_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
      },
      { clientOptions: options },
    );
    const error = await queue.send(message).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("UNAVAILABLE");
  });
});

describe("makeTasksQueue", () => {
  const env = (path: string, url: string) => ({
    PUSHPOOL_TASKS_QUEUE: path,
    PUSHPOOL_DISPATCH_URL: url,
    PUSHPOOL_TASKS_SERVICE_ACCOUNT: SERVICE_ACCOUNT,
  });

  it("reads the agreed environment and creates its client on the first send", async () => {
    const { q, got } = await recordingQueue(() => 204);
    const queue = makeTasksQueue(env(q.path, q.url), { clientOptions: world.fake.clientOptions() });
    expect(queue.queuePath).toBe(q.path);
    await queue.send(message);
    await waitFor("the delivery", () => got.length > 0);
    expect(JSON.parse(got[0]?.delivery.body ?? "")).toEqual(message);
    await q.close();
  });

  it("a missing or malformed setting is a ConfigError naming it", () => {
    const good = env("projects/p/locations/l/queues/q", "https://dispatch.example");
    for (const name of Object.keys(good)) {
      const missing = { ...good, [name]: undefined };
      expect(() => makeTasksQueue(missing)).toThrow(ConfigError);
      expect(() => makeTasksQueue(missing)).toThrow(name);
    }
    expect(() => makeTasksQueue({ ...good, PUSHPOOL_TASKS_QUEUE: "queues/q" })).toThrow(
      /projects\/<project>/,
    );
    expect(() => makeTasksQueue({ ...good, PUSHPOOL_DISPATCH_URL: "dispatch" })).toThrow(/http\(s\) URL/);
    expect(() => makeTasksQueue({ ...good, PUSHPOOL_TASKS_SERVICE_ACCOUNT: "me" })).toThrow(/email/);
  });
});
