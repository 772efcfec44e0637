/**
 * A local Vertex AI JobService (v1 custom jobs) over REST, for the REAL `@google-cloud/aiplatform`
 * `JobServiceClient` with `fallback: true` (functions/gcp/vertexApi.ts). Request bodies are decoded
 * against the SDK's own protos (`protos.json`): a field `CustomJob` does not have, or a value the
 * proto3 JSON serializer cannot read (a bad enum name, a malformed duration), is refused with
 * 400 INVALID_ARGUMENT, as Google refuses it.
 *
 * State moves as Vertex's does, on a controllable schedule: a created job is QUEUED, then PENDING
 * after `schedule.queuedMs`, then RUNNING after `schedule.pendingMs` more (0: at once); the test
 * ends it with {@link VertexFake.finish} (SUCCEEDED, or FAILED with Vertex's replica message), or
 * sets any state with {@link VertexFake.setState}. CancelCustomJob → CANCELLING, then CANCELLED
 * after `schedule.cancelMs` (error `{code: 1, message: "CANCELED"}`); cancelling a job that has
 * ended is 400 FAILED_PRECONDITION. ListCustomJobs takes the `labels.<key>="<value>"` filter.
 *
 * Hooks: `failNextCreate` applies the next CreateCustomJob, then answers 503 or cuts the connection;
 * `succeedOnCreate` creates every job already SUCCEEDED (a watcher's first read ends its loop).
 */
import { randomInt } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import gax from "google-gax";
import { unknownVertexFields, vertexType } from "../../../functions/gcp/vertexProtoJson.ts";
import { HttpError } from "./cloudRunWire.ts";

type Json = Record<string, unknown>;

const TERMINAL = new Set([
  "JOB_STATE_SUCCEEDED",
  "JOB_STATE_FAILED",
  "JOB_STATE_CANCELLED",
  "JOB_STATE_EXPIRED",
  "JOB_STATE_PARTIALLY_SUCCEEDED",
]);

interface Entry {
  job: Json;
  createdAt: number;
  /** A state set by the test or by a cancel, and when (the schedule stops applying). */
  fixed?: { state: string; at: number; error?: Json };
}

export interface VertexSchedule {
  queuedMs: number;
  pendingMs: number;
  cancelMs: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class VertexFake {
  readonly entries = new Map<string, Entry>();
  /** Every request: method, path, query and decoded body. */
  readonly requests: { method: string; path: string; query: string; body: Json | null }[] = [];
  schedule: VertexSchedule = { queuedMs: 0, pendingMs: 0, cancelMs: 0 };
  /** Every created job is SUCCEEDED at once (as `finish(name, 0)` right after the create). */
  succeedOnCreate = false;
  private failCreate: "503" | "cut" | null = null;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    vertexType("CustomJob"); // load the protos before the first request
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next CreateCustomJob is applied (the job exists), then answered with a 503 or a cut connection. */
  failNextCreate(how: "503" | "cut" = "cut"): void {
    this.failCreate = how;
  }

  /** Custom jobs created so far. */
  get size(): number {
    return this.entries.size;
  }

  /** The job as GetCustomJob answers it now. */
  read(name: string): Json | undefined {
    const entry = this.entries.get(name);
    return entry ? this.render(entry) : undefined;
  }

  /** Ends a job as its container exited: SUCCEEDED, or FAILED with Vertex's message. */
  finish(name: string, exitCode: number): void {
    const ok = exitCode === 0;
    this.setState(
      name,
      ok ? "JOB_STATE_SUCCEEDED" : "JOB_STATE_FAILED",
      ok
        ? undefined
        : {
            code: 3,
            message: `The replica workerpool0-0 exited with a non-zero status of ${exitCode}. To find out more about why your job exited please check the logs: https://console.cloud.google.com/logs/viewer?resource=ml_job%2Fjob_id%2F${name.split("/").pop()}`,
          },
    );
  }

  /** Puts a job in any `JobState` (with an error for the failed ones). */
  setState(name: string, state: string, error?: Json): void {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`no custom job ${name}`);
    entry.fixed = { state, at: Date.now(), error };
  }

  private stateOf(entry: Entry): { state: string; error?: Json; endTime?: number; startTime?: number } {
    const now = Date.now();
    const started = entry.createdAt + this.schedule.queuedMs + this.schedule.pendingMs;
    const fixed = entry.fixed;
    if (fixed?.state === "JOB_STATE_CANCELLING" && now >= fixed.at + this.schedule.cancelMs) {
      entry.fixed = {
        state: "JOB_STATE_CANCELLED",
        at: fixed.at + this.schedule.cancelMs,
        error: { code: 1, message: "CANCELED" },
      };
    }
    if (entry.fixed) {
      const { state, at, error } = entry.fixed;
      return {
        state,
        error,
        endTime: TERMINAL.has(state) ? at : undefined,
        startTime: Math.min(started, at),
      };
    }
    if (now < entry.createdAt + this.schedule.queuedMs) return { state: "JOB_STATE_QUEUED" };
    if (now < started) return { state: "JOB_STATE_PENDING" };
    return { state: "JOB_STATE_RUNNING", startTime: started };
  }

  private render(entry: Entry): Json {
    const { state, error, endTime, startTime } = this.stateOf(entry);
    const job: Json = { ...entry.job, state, updateTime: iso(Date.now()) };
    if (startTime !== undefined && state !== "JOB_STATE_QUEUED" && state !== "JOB_STATE_PENDING")
      job.startTime = iso(startTime);
    if (endTime !== undefined) job.endTime = iso(endTime);
    if (error) job.error = error;
    return job;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      const body = text ? (JSON.parse(text) as Json) : null;
      this.requests.push({ method: req.method ?? "", path: url.pathname, query: url.search, body });
      const answer = this.route(
        req.method ?? "GET",
        decodeURIComponent(url.pathname),
        url.searchParams,
        body,
      );
      if (answer === "cut") {
        req.socket.destroy();
        return;
      }
      if (answer instanceof HttpError) throw answer;
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
    } catch (error) {
      const e = error instanceof HttpError ? error : new HttpError(500, "INTERNAL", String(error));
      res
        .writeHead(e.code, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: e.code, message: e.message, status: e.status } }));
    }
  }

  private route(
    method: string,
    path: string,
    query: URLSearchParams,
    body: Json | null,
  ): Json | "cut" | HttpError {
    const loc = "projects/[^/]+/locations/[^/]+";
    const match = (re: string) => new RegExp(`^/v1/(${re})$`).exec(path)?.slice(1) ?? null;
    const collection = match(`${loc})/(customJobs`);
    if (collection && method === "POST") return this.create(collection[0] as string, body);
    if (collection && method === "GET") return this.list(collection[0] as string, query.get("filter") ?? "");
    const one = match(`${loc}/customJobs/[^/:]+)((?::cancel)?`);
    if (one && method === "GET" && !one[1]) return this.get(one[0] as string);
    if (one && method === "POST" && one[1]) return this.cancel(one[0] as string);
    if (one) throw new HttpError(405, "INVALID_ARGUMENT", `${method} not allowed`);
    throw new HttpError(404, "NOT_FOUND", `The requested URL ${path} was not found on this server.`);
  }

  /** GetCustomJob. */
  get(name: string): Json {
    const entry = this.entries.get(name);
    if (!entry) throw new HttpError(404, "NOT_FOUND", "The CustomJob does not exist.");
    return this.render(entry);
  }

  /** CreateCustomJob (the body as proto3 JSON); "cut"/an error when `failNextCreate` says so. */
  create(parent: string, body: Json | null): Json | "cut" | HttpError {
    const unknown = unknownVertexFields("CustomJob", body ?? {});
    if (unknown.length > 0)
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        `Invalid JSON payload received. Unknown name "${unknown[0]}" at 'custom_job': Cannot find field.`,
      );
    try {
      gax.serializer.fromProto3JSON(vertexType("CustomJob"), (body ?? {}) as never);
    } catch (error) {
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        `Invalid JSON payload received at 'custom_job': ${(error as Error).message}`,
      );
    }
    const job = body ?? {};
    if (typeof job.displayName !== "string" || job.displayName === "")
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        "List of found errors:\t1.Field: custom_job.display_name; Message: Required field is not set.",
      );
    const spec = job.jobSpec as Json | undefined;
    if (!Array.isArray(spec?.workerPoolSpecs) || spec.workerPoolSpecs.length === 0)
      throw new HttpError(
        400,
        "INVALID_ARGUMENT",
        "List of found errors:\t1.Field: custom_job.job_spec.worker_pool_specs; Message: Required field is not set.",
      );
    const name = `${parent}/customJobs/${randomInt(1e9, 9e9)}${randomInt(1e9, 9e9)}`;
    const now = Date.now();
    this.entries.set(name, { job: { ...job, name, createTime: iso(now) }, createdAt: now });
    if (this.succeedOnCreate) this.finish(name, 0);
    const fail = this.failCreate;
    this.failCreate = null;
    if (fail === "cut") return "cut";
    if (fail === "503") return new HttpError(503, "UNAVAILABLE", "The service is currently unavailable.");
    return this.read(name) as Json;
  }

  /** ListCustomJobs with the `labels.<key>="<value>"` filter (or none). */
  list(parent: string, filter: string): Json {
    let keep = (_job: Json) => true;
    if (filter) {
      const m = /^labels\.([a-z0-9_-]+)\s*=\s*(?:"([^"]*)"|([^\s"]+))$/.exec(filter.trim());
      if (!m) throw new HttpError(400, "INVALID_ARGUMENT", `Unsupported filter: ${filter}`);
      const [, key = "", quoted, bare] = m;
      const value = quoted ?? bare;
      keep = (job) => (job.labels as Record<string, string> | undefined)?.[key] === value;
    }
    const customJobs = [...this.entries.entries()]
      .filter(([name]) => name.startsWith(`${parent}/customJobs/`))
      .map(([, entry]) => this.render(entry))
      .filter(keep)
      .reverse(); // newest first, as Vertex lists them
    return customJobs.length > 0 ? { customJobs } : {};
  }

  /** CancelCustomJob. */
  cancel(name: string): Json {
    const entry = this.entries.get(name);
    if (!entry) throw new HttpError(404, "NOT_FOUND", "The CustomJob does not exist.");
    const { state } = this.stateOf(entry);
    if (TERMINAL.has(state))
      throw new HttpError(400, "FAILED_PRECONDITION", `Cannot cancel CustomJob ${name} in state ${state}.`);
    if (state !== "JOB_STATE_CANCELLING") entry.fixed = { state: "JOB_STATE_CANCELLING", at: Date.now() };
    return {};
  }
}
