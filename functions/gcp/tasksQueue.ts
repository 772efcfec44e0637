/**
 * @module
 * The dispatch queue on Google Cloud: Cloud Tasks, because a Pub/Sub topic cannot delay. `send`
 * creates an HTTP task on the queue that POSTs the message JSON to the dispatch function with an
 * OIDC token of the tasks service account, at `scheduleTime = now + delaySeconds` (capped at Cloud
 * Tasks' 30 days; fractional seconds kept — Cloud Tasks keeps microseconds). Tasks are not named:
 * Cloud Tasks refuses a name reused within about an hour, and core re-sends the same message on
 * purpose (early delivery). Retries and the last attempt are the queue's `retry_config`; the
 * dispatch function dead-letters a message on its last attempt (./pubsubQueue.ts), since Cloud
 * Tasks itself drops a task whose attempts are spent.
 *
 * {@link tasksEnvelope} reads such a delivery back for the dispatch function.
 */
import type { CloudTasksClient } from "@google-cloud/tasks";
import type { Queue } from "../../core/ports/queue.ts";
import { stringifyJson } from "../../core/prefect/json.ts";
import type { QueueMessage } from "../../core/runtime/messages.ts";
import { ConfigError, ValidationError } from "../../core/shared/errors.ts";
import type { GCP_QUEUE_ENV } from "./env.ts";
import { classifyQueueError } from "./queueErrors.ts";

/** Cloud Tasks' largest `scheduleTime` ahead of now: 30 days. */
export const MAX_TASKS_DELAY_SECONDS = 30 * 24 * 3600;

/** The CreateTask request pushpool sends (a subset of `google.cloud.tasks.v2.ICreateTaskRequest`). */
export interface CreateTaskRequest {
  parent: string;
  task: {
    scheduleTime?: { seconds: number; nanos: number };
    httpRequest: {
      url: string;
      httpMethod: "POST";
      headers: Record<string, string>;
      body: Uint8Array;
      oidcToken: { serviceAccountEmail: string; audience?: string };
    };
  };
}

/** What the queue needs of a `CloudTasksClient` (the client itself fits). */
export interface CloudTasksPort {
  createTask(request: CreateTaskRequest): Promise<unknown>;
}

export interface CloudTasksQueueOptions {
  client: CloudTasksPort;
  /** `projects/<p>/locations/<l>/queues/<q>`. */
  queuePath: string;
  /** The dispatch function's URL. */
  targetUrl: string;
  /** The service account whose OIDC token each task's request carries. */
  serviceAccountEmail: string;
  /** The token's audience (Cloud Tasks' default: the target URL). */
  audience?: string;
  /** Milliseconds since the epoch (tests). */
  now?: () => number;
}

const QUEUE_PATH = /^projects\/[^/]+\/locations\/[^/]+\/queues\/[^/]+$/;

export class CloudTasksQueue implements Queue {
  readonly maxDelaySeconds = MAX_TASKS_DELAY_SECONDS;
  readonly queuePath: string;
  readonly targetUrl: string;
  private readonly options: CloudTasksQueueOptions;

  constructor(options: CloudTasksQueueOptions) {
    if (!QUEUE_PATH.test(options.queuePath))
      throw new ConfigError(
        `Cloud Tasks queue must be 'projects/<project>/locations/<location>/queues/<queue>', got '${options.queuePath}'`,
      );
    if (!/^https?:\/\/[^/]/.test(options.targetUrl))
      throw new ConfigError(`Cloud Tasks target must be an http(s) URL, got '${options.targetUrl}'`);
    if (!/^[^@\s]+@[^@\s]+$/.test(options.serviceAccountEmail))
      throw new ConfigError(
        `Cloud Tasks service account must be an email address, got '${options.serviceAccountEmail}'`,
      );
    this.options = options;
    this.queuePath = options.queuePath;
    this.targetUrl = options.targetUrl;
  }

  async send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void> {
    const { audience, serviceAccountEmail } = this.options;
    const delayMs = tasksDelayMs(options?.delaySeconds);
    const request: CreateTaskRequest = {
      parent: this.queuePath,
      task: {
        httpRequest: {
          url: this.targetUrl,
          httpMethod: "POST",
          // Not application/json: functions-framework answers a body that does not parse 400
          // before the handler runs, and Cloud Tasks would retry it, then drop it — no dead letter.
          headers: { "Content-Type": "application/octet-stream" },
          body: Buffer.from(stringifyJson(message), "utf8"),
          oidcToken: audience ? { serviceAccountEmail, audience } : { serviceAccountEmail },
        },
      },
    };
    if (delayMs > 0) request.task.scheduleTime = timestamp((this.options.now ?? Date.now)() + delayMs);
    try {
      await this.options.client.createTask(request);
    } catch (error) {
      throw classifyQueueError(error, `Cloud Tasks CreateTask on ${this.queuePath} failed`);
    }
  }
}

/** The delay a task gets for a (possibly fractional, negative or huge) `delaySeconds`, in ms. */
export function tasksDelayMs(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || Number.isNaN(delaySeconds) || delaySeconds <= 0) return 0;
  return Math.floor(Math.min(delaySeconds, MAX_TASKS_DELAY_SECONDS) * 1000);
}

function timestamp(ms: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** A Cloud Tasks HTTP delivery as the dispatch function reads it. */
export interface TasksDelivery {
  /** The request body: the queue message JSON. */
  body: string;
  /** `X-CloudTasks-TaskName`: the task's short id. */
  taskName: string;
  /** `X-CloudTasks-QueueName`, when present. */
  queueName?: string;
  /** `X-CloudTasks-TaskRetryCount`: attempts before this one (0 on the first). */
  retryCount: number;
  /** `X-CloudTasks-TaskExecutionCount`: earlier attempts that got an answer from the handler. */
  executionCount: number;
  /** This attempt's number, from 1: compare with the queue's `max_attempts` to know the last one. */
  attempt: number;
}

/** The parts of a functions-framework (Express) request a delivery is read from. */
export interface TasksHttpRequest {
  headers: Record<string, string | string[] | undefined>;
  /** The raw bytes (functions-framework keeps them), preferred over the parsed `body`. */
  rawBody?: Uint8Array;
  body?: unknown;
}

/** Reads a Cloud Tasks HTTP delivery. Throws a {@link ValidationError} naming what is wrong. */
export function tasksEnvelope(req: TasksHttpRequest): TasksDelivery {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(req.headers ?? {}))
    if (value !== undefined) headers.set(name.toLowerCase(), Array.isArray(value) ? (value[0] ?? "") : value);
  const taskName = headers.get("x-cloudtasks-taskname");
  if (!taskName) throw new ValidationError("not a Cloud Tasks request: no X-CloudTasks-TaskName header");
  const retryCount = count(headers, "X-CloudTasks-TaskRetryCount");
  const executionCount = count(headers, "X-CloudTasks-TaskExecutionCount");
  const queueName = headers.get("x-cloudtasks-queuename");
  return {
    body: bodyText(req),
    taskName,
    ...(queueName ? { queueName } : {}),
    retryCount,
    executionCount,
    attempt: retryCount + 1,
  };
}

function count(headers: Map<string, string>, name: string): number {
  const text = headers.get(name.toLowerCase());
  if (text === undefined) throw new ValidationError(`Cloud Tasks request has no ${name} header`);
  if (!/^\d{1,9}$/.test(text.trim()))
    throw new ValidationError(`Cloud Tasks header ${name} is not a count: '${text.slice(0, 20)}'`);
  return Number(text.trim());
}

function bodyText(req: TasksHttpRequest): string {
  const { rawBody, body } = req;
  let text: string;
  if (rawBody instanceof Uint8Array) text = Buffer.from(rawBody).toString("utf8");
  else if (typeof body === "string") text = body;
  else if (body instanceof Uint8Array) text = Buffer.from(body).toString("utf8");
  else if (typeof body === "object" && body !== null && Object.keys(body).length > 0)
    text = stringifyJson(body);
  else text = "";
  if (text.trim() === "") throw new ValidationError("Cloud Tasks request has an empty body");
  return text;
}

type Env = Readonly<Record<string, string | undefined>>;
type QueueEnvName = (typeof GCP_QUEUE_ENV)[number];

/** A setting the queue cannot work without; a {@link ConfigError} names it when it is missing. */
export function requiredEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(`${name} is not set`);
  return value;
}

/**
 * The dispatch queue from the environment (functions/gcp/env.ts: PUSHPOOL_TASKS_QUEUE,
 * PUSHPOOL_DISPATCH_URL, PUSHPOOL_TASKS_SERVICE_ACCOUNT), checked at once; the SDK is loaded and
 * its client created on the first send (not at cold start). `clientOptions` go to the
 * `CloudTasksClient` (tests point it at a local endpoint).
 */
export function makeTasksQueue(
  env: Env,
  options: { clientOptions?: ConstructorParameters<typeof CloudTasksClient>[0] } = {},
): CloudTasksQueue {
  const read = (name: QueueEnvName) => requiredEnv(env, name);
  let client: Promise<CloudTasksPort> | null = null;
  const load = async (): Promise<CloudTasksPort> => {
    const { CloudTasksClient } = await import("@google-cloud/tasks");
    return new CloudTasksClient(options.clientOptions);
  };
  const lazy: CloudTasksPort = {
    async createTask(request) {
      client ??= load().catch((error: unknown) => {
        client = null;
        throw new ConfigError(`cannot load the Cloud Tasks client: ${(error as Error).message}`, {
          cause: error,
        });
      });
      return (await client).createTask(request);
    },
  };
  return new CloudTasksQueue({
    client: lazy,
    queuePath: read("PUSHPOOL_TASKS_QUEUE"),
    targetUrl: read("PUSHPOOL_DISPATCH_URL"),
    serviceAccountEmail: read("PUSHPOOL_TASKS_SERVICE_ACCOUNT"),
  });
}
