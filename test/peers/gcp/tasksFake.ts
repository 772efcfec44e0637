/**
 * A local Cloud Tasks API (v2) over gRPC, served from `@google-cloud/tasks`' own `protos.json`
 * (@grpc/proto-loader `fromJSON`, insecure loopback), for the REAL `CloudTasksClient`
 * ({@link TasksFake.clientOptions}). Queues: CreateQueue / GetQueue / DeleteQueue (with
 * `retry_config`); tasks: CreateTask / GetTask / DeleteTask / ListTasks, answered as Cloud Tasks
 * does (NOT_FOUND for a missing queue or task, ALREADY_EXISTS for a reused task name,
 * INVALID_ARGUMENT for a task without an HTTP target or scheduled more than 30 days ahead; the
 * BASIC view leaves the body out). Each task is DELIVERED at its `scheduleTime` by an HTTP request
 * to its target (./tasksDelivery.ts); a non-2xx answer or none is retried with the queue's
 * back-off until `max_attempts`, after which the task is dropped, as Cloud Tasks drops it.
 * Everything is recorded: `requests`, `deliveries`, `dropped`.
 *
 * Hook: `failNextCreate(code)` answers the next CreateTask with that gRPC status (nothing created).
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import {
  attempt,
  backoffMs,
  type Delivery,
  durationMs,
  fromTimestamp,
  type HttpTarget,
  type Retry,
  retryOf,
  toTimestamp,
} from "./tasksDelivery.ts";

type Json = Record<string, unknown>;
type Handler = (call: { request: Json }, callback: grpc.sendUnaryData<unknown>) => void;

/** Cloud Tasks refuses a `scheduleTime` further ahead than this. */
const MAX_AHEAD_MS = 30 * 24 * 3600 * 1000;
/** Longest single timer (setTimeout's limit); longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const QUEUE_NAME = /^projects\/[^/]+\/locations\/[^/]+\/queues\/[A-Za-z0-9-]{1,100}$/;

interface FakeTask {
  name: string;
  queue: string;
  target: HttpTarget;
  scheduleMs: number;
  createMs: number;
  dispatchDeadlineMs: number;
  dispatchCount: number;
  responseCount: number;
  previousStatus?: number;
  timer?: NodeJS.Timeout;
}

class RpcError extends Error {
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

function loadService(): grpc.ServiceDefinition {
  const require = createRequire(import.meta.url);
  const main = require.resolve("@google-cloud/tasks");
  const protos = require(join(dirname(main), "..", "..", "protos", "protos.json"));
  const definition = fromJSON(protos, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    google: { cloud: { tasks: { v2: { CloudTasks: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.google.cloud.tasks.v2.CloudTasks.service;
}

export class TasksFake {
  readonly queues = new Map<string, Json & { retry: Retry }>();
  readonly tasks = new Map<string, FakeTask>();
  /** Every RPC: its method and request. */
  readonly requests: { method: string; request: Json }[] = [];
  /** Every delivery attempt, in order. */
  readonly deliveries: Delivery[] = [];
  /** Tasks dropped after their last failed attempt. */
  readonly dropped: { name: string; attempts: number; body: string }[] = [];
  /** Names used once (Cloud Tasks refuses them again for a while). */
  private readonly tombstones = new Set<string>();
  private failCreate: { code: grpc.status; message: string } | null = null;
  private server: grpc.Server | null = null;
  private seq = 0;
  port = 0;

  async start(): Promise<this> {
    const server = new grpc.Server();
    const rpc = (method: string, fn: (request: Json) => unknown): Handler => {
      return (call, callback) => {
        this.requests.push({ method, request: call.request });
        try {
          callback(null, fn(call.request));
        } catch (error) {
          const e = error instanceof RpcError ? error : new RpcError(grpc.status.INTERNAL, String(error));
          callback({ code: e.code, details: e.message });
        }
      };
    };
    server.addService(loadService(), {
      CreateQueue: rpc("CreateQueue", (r) => this.createQueue(r)),
      GetQueue: rpc("GetQueue", (r) => this.queue(String(r.name))),
      DeleteQueue: rpc("DeleteQueue", (r) => this.deleteQueue(String(r.name))),
      CreateTask: rpc("CreateTask", (r) => this.createTask(r)),
      GetTask: rpc("GetTask", (r) => this.view(this.task(String(r.name)), r.responseView)),
      DeleteTask: rpc("DeleteTask", (r) => this.deleteTask(String(r.name))),
      ListTasks: rpc("ListTasks", (r) => this.listTasks(r)),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    for (const task of this.tasks.values()) clearTimeout(task.timer);
    this.tasks.clear();
    this.server?.forceShutdown();
    this.server = null;
  }

  /** Options for `new CloudTasksClient(...)`: this server, no TLS, no credentials. */
  clientOptions(): { apiEndpoint: string; port: number; sslCreds: grpc.ChannelCredentials } {
    return { apiEndpoint: "127.0.0.1", port: this.port, sslCreds: grpc.credentials.createInsecure() };
  }

  /** The next CreateTask is answered with `code` and creates nothing. */
  failNextCreate(code: grpc.status, message = "injected by the test"): void {
    this.failCreate = { code, message };
  }

  private createQueue(request: Json): Json {
    const queue = (request.queue ?? {}) as Json;
    const name = String(queue.name ?? "");
    if (!QUEUE_NAME.test(name) || !name.startsWith(`${request.parent}/queues/`))
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid queue name: ${name}`);
    if (this.queues.has(name)) throw new RpcError(grpc.status.ALREADY_EXISTS, "Queue already exists");
    const retry = retryOf(queue.retryConfig as Json | undefined);
    const stored = {
      ...queue,
      name,
      state: "RUNNING",
      retryConfig: {
        maxAttempts: retry.maxAttempts,
        minBackoff: toDuration(retry.minBackoffMs),
        maxBackoff: toDuration(retry.maxBackoffMs),
        maxDoublings: retry.maxDoublings,
      },
      retry,
    };
    this.queues.set(name, stored);
    return this.queue(name);
  }

  private queue(name: string): Json {
    const stored = this.queues.get(name);
    if (!stored) throw new RpcError(grpc.status.NOT_FOUND, "Requested entity was not found.");
    const { retry: _retry, ...queue } = stored;
    return queue;
  }

  private deleteQueue(name: string): Json {
    this.queue(name);
    for (const task of [...this.tasks.values()].filter((t) => t.queue === name)) this.remove(task);
    this.queues.delete(name);
    return {};
  }

  private createTask(request: Json): Json {
    if (this.failCreate) {
      const { code, message } = this.failCreate;
      this.failCreate = null;
      throw new RpcError(code, message);
    }
    const parent = String(request.parent ?? "");
    this.queue(parent);
    const task = (request.task ?? {}) as Json;
    const target = task.httpRequest as HttpTarget | undefined;
    if (!target) throw new RpcError(grpc.status.INVALID_ARGUMENT, "Task must have an http_request.");
    if (!/^https?:\/\/[^/]/.test(target.url ?? ""))
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Invalid URL: '${target.url ?? ""}'.`);
    const now = Date.now();
    const scheduleMs = fromTimestamp(task.scheduleTime as never) ?? now;
    if (scheduleMs > now + MAX_AHEAD_MS)
      throw new RpcError(
        grpc.status.INVALID_ARGUMENT,
        "The task's schedule time must not be more than 30 days in the future.",
      );
    let name = String(task.name ?? "");
    if (name && !name.startsWith(`${parent}/tasks/`))
      throw new RpcError(grpc.status.INVALID_ARGUMENT, `Task name must be under ${parent}.`);
    if (name && (this.tasks.has(name) || this.tombstones.has(name)))
      throw new RpcError(
        grpc.status.ALREADY_EXISTS,
        "The task cannot be created because a task with this name existed too recently.",
      );
    name ||= `${parent}/tasks/${Date.now()}${String(++this.seq).padStart(6, "0")}`;
    const stored: FakeTask = {
      name,
      queue: parent,
      target,
      scheduleMs,
      createMs: now,
      dispatchDeadlineMs: durationMs(task.dispatchDeadline as never, 600_000),
      dispatchCount: 0,
      responseCount: 0,
    };
    this.tasks.set(name, stored);
    this.tombstones.add(name);
    this.arm(stored);
    return this.view(stored, request.responseView);
  }

  private task(name: string): FakeTask {
    const task = this.tasks.get(name);
    if (!task) throw new RpcError(grpc.status.NOT_FOUND, "Requested entity was not found.");
    return task;
  }

  private deleteTask(name: string): Json {
    this.remove(this.task(name));
    return {};
  }

  private listTasks(request: Json): Json {
    const parent = String(request.parent ?? "");
    this.queue(parent);
    const tasks = [...this.tasks.values()].filter((t) => t.queue === parent);
    return { tasks: tasks.map((t) => this.view(t, request.responseView)), nextPageToken: "" };
  }

  private view(task: FakeTask, responseView: unknown): Json {
    const full = responseView === "FULL";
    const { body: _body, ...basic } = task.target;
    return {
      name: task.name,
      httpRequest: full ? task.target : basic,
      scheduleTime: toTimestamp(task.scheduleMs),
      createTime: toTimestamp(task.createMs),
      dispatchDeadline: toDuration(task.dispatchDeadlineMs),
      dispatchCount: task.dispatchCount,
      responseCount: task.responseCount,
      view: full ? "FULL" : "BASIC",
    };
  }

  private remove(task: FakeTask): void {
    clearTimeout(task.timer);
    this.tasks.delete(task.name);
  }

  private arm(task: FakeTask): void {
    const wait = Math.max(0, task.scheduleMs - Date.now());
    task.timer = setTimeout(
      () => (wait > MAX_TIMER_MS ? this.arm(task) : void this.deliver(task)),
      Math.min(wait, MAX_TIMER_MS),
    );
    task.timer.unref();
  }

  private async deliver(task: FakeTask): Promise<void> {
    const delivery = await attempt(task.target, { ...task, taskName: task.name }, task.dispatchDeadlineMs);
    this.deliveries.push(delivery);
    if (this.tasks.get(task.name) !== task) return; // deleted meanwhile
    task.dispatchCount++;
    if (delivery.status) task.responseCount++;
    task.previousStatus = delivery.status;
    if (delivery.status >= 200 && delivery.status < 300) return this.remove(task);
    const retry = (this.queues.get(task.queue) as { retry: Retry }).retry;
    if (retry.maxAttempts !== -1 && task.dispatchCount >= retry.maxAttempts) {
      this.dropped.push({ name: task.name, attempts: task.dispatchCount, body: delivery.body });
      return this.remove(task);
    }
    task.scheduleMs = Date.now() + backoffMs(retry, task.dispatchCount);
    this.arm(task);
  }
}

function toDuration(ms: number): { seconds: string; nanos: number } {
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}
