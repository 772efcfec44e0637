/**
 * The whole GCP pipeline with no in-test queue (./pipeline.test.ts): the runtime is built with the
 * production adapters — `makeTasksQueue` (the REAL `CloudTasksClient`, pointed at the Cloud Tasks
 * fake ./tasksFake.ts, which delivers each task by HTTP at its `scheduleTime` and retries a non-2xx
 * answer with the queue's back-off) and `makeDeadLetterTopic` (the REAL Pub/Sub client on the
 * gcloud emulator). The dispatch/tick/webhook/cron handlers are served by functions-framework on
 * loopback, the Cloud Run v2 fake sits behind the real `@google-cloud/run` clients, and the Prefect
 * server is the peers project's.
 *
 * A second "Cloud Run" for the GcpCredentials project {@link REFUSED_PROJECT} answers every request
 * 503 UNAVAILABLE (Google's error body): dispatches of a deployment naming that project fail
 * transiently on every attempt.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as ff from "@google-cloud/functions-framework";
import { type Message, PubSub, type Subscription } from "@google-cloud/pubsub";
import { CloudTasksClient } from "@google-cloud/tasks";
import gax from "google-gax";
import { inject } from "vitest";
import type { Deployment, JsonObject, WorkPool } from "../../../core/prefect/types.ts";
import { cloudRunApiFactory } from "../../../functions/gcp/cloudRunApi.ts";
import { makeCronHandler } from "../../../functions/gcp/cron.ts";
import { makeDispatchHandler } from "../../../functions/gcp/dispatch.ts";
import { functionLogger } from "../../../functions/gcp/logger.ts";
import { makeDeadLetterTopic } from "../../../functions/gcp/pubsubQueue.ts";
import { makeTasksQueue } from "../../../functions/gcp/tasksQueue.ts";
import { makeTickHandler } from "../../../functions/gcp/tick.ts";
import { makeWebhookHandler } from "../../../functions/gcp/webhook.ts";
import { createRuntime, type GcpRuntime } from "../../../functions/gcp/wiring.ts";
import template from "../../fixtures/gcp/cloud-run-v2-base-job-template.json" with { type: "json" };
import { PrefectAdmin, uniqueName } from "../helpers/prefectAdmin.ts";
import { CloudRunFake } from "./cloudRunFake.ts";
import { jobVariables, PROJECT, REGION, SECRETS, type Served, serveFunction } from "./functionsWorld.ts";
import { type PubsubEmulator, startPubsubEmulator } from "./pubsubEmulator.ts";
import { TasksFake } from "./tasksFake.ts";

/** The Cloud Tasks queue's `max_attempts`, also given to the dispatch function. */
export const MAX_ATTEMPTS = 3;
/** The GcpCredentials project whose Cloud Run answers every request 503. */
export const REFUSED_PROJECT = "pp-refused";

/** What the dispatch function answered (status and JSON body), per Cloud Tasks task name. */
export interface DispatchAnswer {
  task: string;
  status: number;
  body: Record<string, unknown>;
}

export interface PipelineWorld {
  admin: PrefectAdmin;
  pool: WorkPool;
  deployment: Deployment;
  /** A deployment whose Cloud Run refuses (503) every request. */
  refusedDeployment: Deployment;
  cloudRun: CloudRunFake;
  /** Requests the refusing Cloud Run got. */
  refusals: string[];
  tasks: TasksFake;
  tasksClient: CloudTasksClient;
  queuePath: string;
  rt: GcpRuntime;
  url: { dispatch: string; tick: string; webhook: string; cron: string };
  answers: DispatchAnswer[];
  /** Messages pulled from the dead-letter topic's subscription on the emulator. */
  deadLetters: { body: string; attributes: Record<string, string> }[];
  logs: string[];
  close(): Promise<void>;
}

const duration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

/** A Cloud Run endpoint that answers 503 UNAVAILABLE to everything, as Google does in an outage. */
async function refusingCloudRun(seen: string[]): Promise<{ port: number; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(503, { "content-type": "application/json; charset=UTF-8" });
    res.end(
      JSON.stringify({
        error: { code: 503, message: "The service is currently unavailable.", status: "UNAVAILABLE" },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function pipelineWorld(prefix: string): Promise<PipelineWorld> {
  const stops: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    return await build(prefix, stops, close);
  } catch (error) {
    await close();
    throw error;
  }
}

async function build(
  prefix: string,
  stops: (() => Promise<unknown>)[],
  close: () => Promise<void>,
): Promise<PipelineWorld> {
  // Google's side: Cloud Run (and one that refuses), Cloud Tasks, the Pub/Sub emulator.
  const cloudRun = await new CloudRunFake().start();
  stops.push(() => cloudRun.stop());
  const refusals: string[] = [];
  const refusing = await refusingCloudRun(refusals);
  stops.push(() => refusing.stop());
  const tasks = await new TasksFake().start();
  stops.push(() => tasks.stop());
  const tasksClient = new CloudTasksClient(tasks.clientOptions());
  stops.push(() => tasksClient.close());
  const emulator: PubsubEmulator = await startPubsubEmulator();
  stops.push(() => emulator.stop());
  const pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host });
  stops.push(() => pubsub.close());
  const id = `${prefix}-${randomUUID().slice(0, 8)}`;
  const [deadTopic] = await pubsub.createTopic(`${id}-dead`);
  const [deadSub]: [Subscription, ...unknown[]] = await deadTopic.createSubscription(`${id}-dead-pull`);
  stops.push(() => deadSub.close());
  const deadLetters: PipelineWorld["deadLetters"] = [];
  deadSub.on("message", (m: Message) => {
    deadLetters.push({ body: m.data.toString("utf8"), attributes: { ...m.attributes } });
    m.ack();
  });

  // Prefect: a cloud-run-v2 pool with prefect-gcp's default template, two deployments.
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
  const refusedDeployment = await admin.createDeployment({
    work_pool_name: pool.name,
    job_variables: jobVariables({ credentials: { project: REFUSED_PROJECT } }),
  });

  // The functions, served first: the queue's target is the dispatch function's URL.
  let rt: GcpRuntime | undefined;
  const get = async () => {
    if (!rt) throw new Error("runtime not built yet");
    return rt;
  };
  const answers: DispatchAnswer[] = [];
  const dispatch = makeDispatchHandler(get);
  const serve = async (name: string, register: (n: string) => void): Promise<string> => {
    const served: Served = await serveFunction(`${id}-${name}`, register);
    stops.push(() => served.close());
    return served.url;
  };
  const url = {
    dispatch: await serve("dispatch", (n) =>
      ff.http(n, async (req, res) => {
        // Records what the handler answered (Cloud Tasks only keeps the status).
        const send = res.send.bind(res);
        res.send = (body: unknown) => {
          answers.push({
            task: String(req.headers["x-cloudtasks-taskname"] ?? ""),
            status: res.statusCode,
            body: JSON.parse(String(body)) as Record<string, unknown>,
          });
          return send(body);
        };
        await dispatch(req, res);
      }),
    ),
    tick: await serve("tick", (n) => ff.http(n, makeTickHandler(get))),
    webhook: await serve("webhook", (n) => ff.http(n, makeWebhookHandler(get))),
    cron: await serve("cron", (n) => ff.http(n, makeCronHandler(get))),
  };

  const queuePath = tasksClient.queuePath(PROJECT, REGION, `${id}-dispatch`);
  await tasksClient.createQueue({
    parent: tasksClient.locationPath(PROJECT, REGION),
    queue: {
      name: queuePath,
      retryConfig: { maxAttempts: MAX_ATTEMPTS, minBackoff: duration(1000), maxBackoff: duration(2000) },
    },
  });

  const env: Record<string, string> = {
    PREFECT_API_URL: inject("prefectApiUrl"),
    PREFECT_API_KEY: SECRETS.apiKey,
    PUSHPOOL_POOLS: pool.name,
    PUSHPOOL_TICK_SECONDS: "60",
    PUSHPOOL_WEBHOOK_KEYS: JSON.stringify([{ id: "ci", secret: SECRETS.webhook }]),
    PUSHPOOL_PREFECT_API_KEY_SECRET: `projects/${PROJECT}/secrets/prefect-api-key`,
    PUSHPOOL_TASKS_QUEUE: queuePath,
    PUSHPOOL_DISPATCH_URL: `${url.dispatch}/`,
    PUSHPOOL_TASKS_SERVICE_ACCOUNT: `pushpool-tasks@${PROJECT}.iam.gserviceaccount.com`,
    PUSHPOOL_TASKS_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
    PUSHPOOL_DEAD_LETTER_TOPIC: deadTopic.name,
  };
  const logs: string[] = [];
  const base = { apiEndpoint: "127.0.0.1", protocol: "http" as const };
  const authClient = new gax.googleAuthLibrary.PassThroughClient();
  const toFake = cloudRunApiFactory({ ...base, port: cloudRun.port, authClient });
  const toRefusing = cloudRunApiFactory({ ...base, port: refusing.port, authClient });
  rt = createRuntime({
    env,
    logger: functionLogger([SECRETS.apiKey, SECRETS.webhook], {
      write: (line) => logs.push(line),
      level: "debug",
      service: prefix,
    }),
    cloudRunApiFor: (credentials) =>
      (credentials?.project === REFUSED_PROJECT ? toRefusing : toFake)(credentials),
    queue: makeTasksQueue(env, { clientOptions: tasks.clientOptions() }),
    deadLetter: makeDeadLetterTopic(env, { clientOptions: { apiEndpoint: emulator.host } }),
  });

  return {
    admin,
    pool,
    deployment,
    refusedDeployment,
    cloudRun,
    refusals,
    tasks,
    tasksClient,
    queuePath,
    rt,
    url,
    answers,
    deadLetters,
    logs,
    close,
  };
}

/** Polls `check` every 250 ms until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 120_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The text of a CreateTask request's body (proto bytes). */
export function createTaskBody(request: Record<string, unknown>): string {
  const body = (request.task as { httpRequest?: { body?: Uint8Array } } | undefined)?.httpRequest?.body;
  return body ? Buffer.from(body).toString("utf8") : "";
}
