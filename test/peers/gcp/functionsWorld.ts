/**
 * The GCP functions end to end, on real peers: the Prefect server of the peers project, the Cloud
 * Run v2 fake (./cloudRunFake.ts) reached by the REAL `@google-cloud/run` clients, and each handler
 * served by functions-framework's own server (`getTestServer`) on loopback. Cloud Tasks is played
 * by {@link TestTasks}: messages the runtime sends wait until due, then are POSTed to the dispatch
 * function as Cloud Tasks does (its headers, retried on a non-2xx answer with the retry count up).
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as ff from "@google-cloud/functions-framework";
import { getTestServer } from "@google-cloud/functions-framework/testing";
import gax from "google-gax";
import { inject } from "vitest";
import type { Queue } from "../../../core/ports/queue.ts";
import type { Deployment, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import type { QueueMessage } from "../../../core/runtime/messages.ts";
import { cloudRunApiFactory } from "../../../functions/gcp/cloudRunApi.ts";
import { makeCronHandler } from "../../../functions/gcp/cron.ts";
import { makeDispatchHandler } from "../../../functions/gcp/dispatch.ts";
import { makeEventsHandler } from "../../../functions/gcp/events.ts";
import { functionLogger } from "../../../functions/gcp/logger.ts";
import { makeTickHandler } from "../../../functions/gcp/tick.ts";
import { makeWebhookHandler } from "../../../functions/gcp/webhook.ts";
import { createRuntime, type GcpRuntime } from "../../../functions/gcp/wiring.ts";
import template from "../../fixtures/gcp/cloud-run-v2-base-job-template.json" with { type: "json" };
import { PrefectAdmin, uniqueName } from "../helpers/prefectAdmin.ts";
import { CloudRunFake } from "./cloudRunFake.ts";

export const PROJECT = "pp-fn-test";
export const REGION = "europe-west1";
/** Distinctive secret values: no log line may contain them. */
export const SECRETS = {
  apiKey: "pnu_gcpFunctionsKey3e8b1f6a2c",
  webhook: "whsec-gcp-functions-5a9c2e7d1b4f3068",
};

interface Task {
  name: string;
  body: string;
  dueAt: number;
  retries: number;
}

/** Cloud Tasks, as the dispatch function sees it. */
export class TestTasks implements Queue {
  readonly maxDelaySeconds = 30 * 24 * 3600;
  readonly pending: Task[] = [];
  /** Every answer the dispatch function gave. */
  readonly answers: { task: string; status: number; body: Record<string, unknown> }[] = [];
  target = "";
  private seq = 0;

  async send(message: QueueMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const dueAt = Date.now() + Math.max(0, options.delaySeconds ?? 0) * 1000;
    this.pending.push({ name: `task-${++this.seq}`, body: JSON.stringify(message), dueAt, retries: 0 });
  }

  /** Adds a raw task (bad input, a chosen retry count). */
  add(body: string, retries = 0): void {
    this.pending.push({ name: `task-${++this.seq}`, body, dueAt: 0, retries });
  }

  /** Delivers every task due by now (+ `aheadMs`); a non-2xx answer keeps it with its retry count up. */
  async deliver(aheadMs = 0, contentType = "application/json"): Promise<number> {
    const due = this.pending.filter((t) => t.dueAt <= Date.now() + aheadMs);
    for (const task of due) {
      this.pending.splice(this.pending.indexOf(task), 1);
      const res = await fetch(this.target, {
        method: "POST",
        headers: {
          "content-type": contentType,
          "x-cloudtasks-taskname": task.name,
          "x-cloudtasks-taskretrycount": String(task.retries),
          // Every earlier attempt got an answer here (none timed out).
          "x-cloudtasks-taskexecutioncount": String(task.retries),
          "x-cloudtasks-queuename": "pushpool-dispatch",
        },
        body: task.body,
      });
      const text = await res.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { text };
      }
      this.answers.push({ task: task.name, status: res.status, body });
      if (res.status < 200 || res.status > 299) this.pending.push({ ...task, retries: task.retries + 1 });
    }
    return due.length;
  }
}

export interface GcpWorld {
  fake: CloudRunFake;
  admin: PrefectAdmin;
  pool: WorkPool;
  deployment: Deployment;
  rt: GcpRuntime;
  tasks: TestTasks;
  deadLetters: { body: string; attributes: Record<string, string> }[];
  /** Every line the functions logged. */
  logs: string[];
  url: { dispatch: string; tick: string; webhook: string; cron: string; events: string };
  close(): Promise<void>;
}

export function jobVariables(extra: JsonObject = {}): JsonObject {
  return { region: REGION, credentials: { project: PROJECT }, ...extra };
}

/** A pool of type cloud-run-v2 (prefect-gcp's default template), a deployment, the functions served. */
export async function gcpWorld(prefix: string, env: Record<string, string> = {}): Promise<GcpWorld> {
  const fake = await new CloudRunFake().start();
  const admin = new PrefectAdmin(inject("prefectApiUrl"));
  const pool = await admin.createWorkPool({
    name: uniqueName(`${prefix}-pool`),
    type: "cloud-run-v2",
    base_job_template: template as unknown as JsonObject,
  });
  const deployment = await admin.createDeployment({
    work_pool_name: pool.name,
    job_variables: jobVariables(),
  });
  const tasks = new TestTasks();
  const deadLetters: GcpWorld["deadLetters"] = [];
  const logs: string[] = [];
  const rt = createRuntime({
    env: {
      PREFECT_API_URL: inject("prefectApiUrl"),
      PREFECT_API_KEY: SECRETS.apiKey,
      PUSHPOOL_POOLS: pool.name,
      PUSHPOOL_TICK_SECONDS: "60",
      PUSHPOOL_TASKS_MAX_ATTEMPTS: "3",
      PUSHPOOL_WEBHOOK_KEYS: JSON.stringify([{ id: "ci", secret: SECRETS.webhook }]),
      PUSHPOOL_PREFECT_API_KEY_SECRET: `projects/${PROJECT}/secrets/prefect-api-key`,
      PUSHPOOL_LOG_LEVEL: "debug",
      ...env,
    },
    logger: functionLogger([SECRETS.apiKey, SECRETS.webhook], {
      write: (line) => logs.push(line),
      level: "debug",
      service: prefix,
    }),
    cloudRunApiFor: cloudRunApiFactory({
      apiEndpoint: "127.0.0.1",
      port: fake.port,
      protocol: "http",
      authClient: new gax.googleAuthLibrary.PassThroughClient(),
    }),
    queue: tasks,
    deadLetter: {
      async publish(body, attributes) {
        deadLetters.push({ body, attributes });
      },
    },
  });
  const get = async () => rt;
  const servers: Served[] = [];
  const serve = async (name: string, register: (name: string) => void): Promise<string> => {
    const served = await serveFunction(`${prefix}-${name}`, register);
    servers.push(served);
    return served.url;
  };
  const url = {
    dispatch: await serve("dispatch", (n) => ff.http(n, makeDispatchHandler(get))),
    tick: await serve("tick", (n) => ff.http(n, makeTickHandler(get))),
    webhook: await serve("webhook", (n) => ff.http(n, makeWebhookHandler(get))),
    cron: await serve("cron", (n) => ff.http(n, makeCronHandler(get))),
    events: await serve("events", (n) => ff.cloudEvent(n, makeEventsHandler(get))),
  };
  tasks.target = `${url.dispatch}/`;
  return {
    fake,
    admin,
    pool,
    deployment,
    rt,
    tasks,
    deadLetters,
    logs,
    url,
    async close() {
      for (const s of servers) await s.close();
      await fake.stop();
    },
  };
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Registers a function under `id` and serves it with functions-framework's own server on loopback. */
export async function serveFunction(id: string, register: (id: string) => void): Promise<Served> {
  register(id);
  const server: Server = getTestServer(id);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** POSTs a JSON body to a function; the status and the parsed answer. */
export async function post(
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { text } };
  }
}

/** A Pub/Sub push of a Cloud Logging entry (what the log sink publishes) to the events function. */
export async function publishLogEntry(url: string, entry: unknown): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
      "ce-source": `//pubsub.googleapis.com/projects/${PROJECT}/topics/pushpool-infra-events`,
      "ce-id": `evt-${Math.random().toString(16).slice(2)}`,
    },
    body: JSON.stringify({
      message: { data: Buffer.from(JSON.stringify(entry)).toString("base64"), messageId: "1" },
      subscription: `projects/${PROJECT}/subscriptions/pushpool-events`,
    }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** The log entry Cloud Run writes for a job execution (resource `cloud_run_job`). */
export function executionLogEntry(executionName: string): JsonObject {
  const [, project, , location, , job, , execution] = executionName.split("/");
  return {
    logName: `projects/${project}/logs/run.googleapis.com%2Fvarlog%2Fsystem`,
    resource: {
      type: "cloud_run_job",
      labels: { project_id: project ?? "", location: location ?? "", job_name: job ?? "" },
    },
    labels: { "run.googleapis.com/execution_name": execution ?? "" },
    severity: "INFO",
    textPayload: "Container called exit(1).",
  };
}
