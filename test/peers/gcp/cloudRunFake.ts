/**
 * A local Cloud Run Admin API v2 (Jobs, Executions, long-running Operations) over REST, for the
 * REAL `@google-cloud/run` clients with `fallback: true` (functions/gcp/cloudRunApi.ts). Requests
 * are decoded against the SDK's own protos (`protos.json`): a body with a field the proto type does
 * not have, or that the proto3 JSON serializer cannot read, is refused with 400 INVALID_ARGUMENT
 * as Google refuses it. State moves as Google's does: CreateJob → a Ready job; RunJob → an
 * execution (running at once) and an operation that is not done until the execution ends; the
 * test ends executions with {@link CloudRunFake.finish}. Operations of CreateJob/DeleteJob/
 * DeleteExecution are done at once, or after `lroDelayMs` (the client then polls GetOperation).
 *
 * Hooks: `failNextRun` applies the next RunJob, then answers 503 or cuts the connection.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { HttpError, verifyBody } from "./cloudRunWire.ts";

type Json = Record<string, unknown>;
const TYPE = "type.googleapis.com/google.cloud.run.v2.";

interface Operation {
  name: string;
  metadata: Json;
  response?: Json;
  doneAt: number;
  /** For RunJob: done when this execution has ended. */
  execution?: string;
}

const now = () => new Date().toISOString();

export class CloudRunFake {
  readonly jobs = new Map<string, Json>();
  readonly executions = new Map<string, Json>();
  readonly operations = new Map<string, Operation>();
  /** Every request: method, path and decoded body. */
  readonly requests: { method: string; path: string; body: Json | null }[] = [];
  /** Delay before CreateJob/DeleteJob/DeleteExecution operations are done (0: done at once). */
  lroDelayMs = 0;
  private failRun: "503" | "cut" | null = null;
  private server: Server | null = null;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next RunJob is applied (an execution starts), then answered with a 503 or a cut connection. */
  failNextRun(how: "503" | "cut" = "cut"): void {
    this.failRun = how;
  }

  /** Ends an execution (by name, or the latest of a job by its short id) as its container exited. */
  finish(nameOrJobId: string, exitCode: number): void {
    const name = this.executions.has(nameOrJobId)
      ? nameOrJobId
      : [...this.executions.keys()].filter((n) => n.includes(`/jobs/${nameOrJobId}/executions/`)).pop();
    const execution = name ? this.executions.get(name) : undefined;
    if (!execution) throw new Error(`no execution for ${nameOrJobId}`);
    const ok = exitCode === 0;
    Object.assign(execution, {
      completionTime: now(),
      runningCount: 0,
      ...(ok ? { succeededCount: 1 } : { failedCount: 1 }),
      conditions: [
        {
          type: "Completed",
          state: ok ? "CONDITION_SUCCEEDED" : "CONDITION_FAILED",
          message: ok
            ? "Execution completed successfully."
            : `Task ${String(execution.name).split("/").pop()}-task0 failed with message: The container exited with an error (exit code ${exitCode}).`,
          lastTransitionTime: now(),
        },
      ],
    });
    this.touchLatest(execution);
  }

  private touchLatest(execution: Json): void {
    const job = this.jobs.get(String(execution.name).replace(/\/executions\/[^/]+$/, ""));
    const latest = job?.latestCreatedExecution as Json | undefined;
    if (latest && latest.name === execution.name && execution.completionTime)
      latest.completionTime = execution.completionTime;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      const body = text ? (JSON.parse(text) as Json) : null;
      this.requests.push({ method: req.method ?? "", path: url.pathname, body });
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
    const match = (re: string) => new RegExp(`^/v2/(${re})$`).exec(path)?.slice(1) ?? null;
    const create = method === "POST" ? match(`${loc})/(jobs`) : null;
    if (create) {
      verifyBody("Job", body, "job");
      return this.createJob(create[0] as string, query.get("jobId") ?? "", body ?? {});
    }
    const jobPath = match(`${loc}/jobs/[^/:]+)((?::run)?`);
    if (jobPath) return this.onJob(method, jobPath[0] as string, Boolean(jobPath[1]), body);
    const list = method === "GET" ? match(`${loc}/jobs/[^/]+)/(executions`) : null;
    if (list) {
      const parent = list[0] as string;
      if (!this.jobs.has(parent)) throw new HttpError(404, "NOT_FOUND", `Job '${parent}' does not exist.`);
      const executions = [...this.executions.values()].filter((e) => String(e.name).startsWith(`${parent}/`));
      return { executions: executions.reverse() };
    }
    const exec = match(`${loc}/jobs/[^/]+/executions/[^/:]+)((?::cancel)?`);
    if (exec) return this.onExecution(method, exec[0] as string, Boolean(exec[1]));
    const op = method === "GET" ? match(`${loc}/operations/[^/]+)(`) : null;
    if (op) {
      const found = this.operations.get(op[0] as string);
      if (!found) throw new HttpError(404, "NOT_FOUND", `Operation '${op[0]}' does not exist.`);
      return this.render(found);
    }
    throw new HttpError(404, "NOT_FOUND", `The requested URL ${path} was not found on this server.`);
  }

  private onJob(method: string, name: string, run: boolean, body: Json | null): Json | "cut" | HttpError {
    if (method === "POST" && run) {
      verifyBody("RunJobRequest", body, "*");
      return this.runJob(name);
    }
    const job = this.jobs.get(name);
    const [, project, , region, , id] = name.split("/");
    if (!job)
      throw new HttpError(
        404,
        "NOT_FOUND",
        `Resource '${id}' of kind 'JOB' in region '${region}' in project '${project}' does not exist.`,
      );
    if (method === "GET") return job;
    if (method !== "DELETE") throw new HttpError(405, "INVALID_ARGUMENT", `${method} not allowed`);
    this.jobs.delete(name);
    for (const key of [...this.executions.keys()])
      if (key.startsWith(`${name}/`)) this.executions.delete(key);
    return this.operation(name, "Job", job, this.lroDelayMs);
  }

  private onExecution(method: string, name: string, cancel: boolean): Json {
    const execution = this.executions.get(name);
    if (!execution)
      throw new HttpError(404, "NOT_FOUND", `Execution '${name.split("/").pop()}' does not exist.`);
    if (method === "GET") return execution;
    if (method !== "DELETE" && !(method === "POST" && cancel))
      throw new HttpError(405, "INVALID_ARGUMENT", `${method} not allowed`);
    if (!execution.completionTime) this.cancel(execution);
    if (method === "DELETE") this.executions.delete(name);
    return this.operation(name, "Execution", execution, method === "DELETE" ? this.lroDelayMs : 0);
  }

  private createJob(parent: string, jobId: string, body: Json): Json {
    if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(jobId))
      throw new HttpError(400, "INVALID_ARGUMENT", `Invalid job id '${jobId}'.`);
    const name = `${parent}/jobs/${jobId}`;
    if (this.jobs.has(name))
      throw new HttpError(409, "ALREADY_EXISTS", `Resource '${jobId}' already exists.`);
    const t = now();
    const job: Json = {
      ...body,
      name,
      uid: randomUUID(),
      generation: "1",
      createTime: t,
      updateTime: t,
      terminalCondition: { type: "Ready", state: "CONDITION_SUCCEEDED", lastTransitionTime: t },
      executionCount: 0,
      etag: `"${randomUUID()}"`,
    };
    this.jobs.set(name, job);
    return this.operation(name, "Job", job, this.lroDelayMs);
  }

  private runJob(name: string): Json | "cut" | HttpError {
    const job = this.jobs.get(name);
    if (!job) return new HttpError(404, "NOT_FOUND", `Job '${name}' does not exist.`);
    const id = `${name.split("/").pop()}-${randomUUID().slice(0, 5)}`;
    const t = now();
    const execution: Json = {
      name: `${name}/executions/${id}`,
      uid: randomUUID(),
      generation: "1",
      labels: (job.template as Json | undefined)?.labels ?? {},
      createTime: t,
      startTime: t,
      launchStage: job.launchStage ?? "GA",
      job: name.split("/").pop(),
      parallelism: 1,
      taskCount: 1,
      template: (job.template as Json | undefined)?.template ?? {},
      runningCount: 1,
      logUri: `https://console.cloud.google.com/logs/viewer?execution=${id}`,
      etag: `"${randomUUID()}"`,
    };
    this.executions.set(String(execution.name), execution);
    job.executionCount = Number(job.executionCount ?? 0) + 1;
    job.latestCreatedExecution = { name: execution.name, createTime: t };
    const op = this.operation(String(execution.name), "Execution", execution, Number.POSITIVE_INFINITY);
    const fail = this.failRun;
    this.failRun = null;
    if (fail === "cut") return "cut";
    if (fail === "503") return new HttpError(503, "UNAVAILABLE", "The service is currently unavailable.");
    return op;
  }

  private cancel(execution: Json): void {
    Object.assign(execution, {
      completionTime: now(),
      runningCount: 0,
      cancelledCount: 1,
      conditions: [
        {
          type: "Completed",
          state: "CONDITION_FAILED",
          message: "The execution was cancelled.",
          reason: "CANCELLED",
        },
      ],
    });
    this.touchLatest(execution);
  }

  private operation(resource: string, kind: string, value: Json, delayMs: number): Json {
    const [project, , location] = resource.split("/").slice(1, 4);
    const op: Operation = {
      name: `projects/${project}/locations/${location}/operations/${randomUUID()}`,
      metadata: { "@type": `${TYPE}${kind}`, ...value },
      response: { "@type": `${TYPE}${kind}`, ...value },
      doneAt: Date.now() + delayMs,
      execution: kind === "Execution" && delayMs === Number.POSITIVE_INFINITY ? resource : undefined,
    };
    this.operations.set(op.name, op);
    return this.render(op);
  }

  private render(op: Operation): Json {
    const execution = op.execution ? this.executions.get(op.execution) : undefined;
    const done = op.execution ? Boolean(execution?.completionTime) || !execution : Date.now() >= op.doneAt;
    const current = execution ? { "@type": `${TYPE}Execution`, ...execution } : op.response;
    return done
      ? { name: op.name, metadata: current, done: true, response: current }
      : { name: op.name, metadata: current ?? op.metadata, done: false };
  }
}
