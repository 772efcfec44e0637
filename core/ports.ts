/**
 * @module
 * The ports the use cases need. Each runtime (functions/local, functions/aws, …) wires real
 * implementations; unit tests use small hand-written fakes.
 */
import type { JobConfiguration } from "./job/types.ts";
import type { QueueMessage } from "./messages.ts";
import type { FlowRun } from "./prefect/types.ts";

export interface Clock {
  now(): Date;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

export type LogFields = Record<string, unknown>;

/** Structured logger. Implementations must never print secrets (see core/redact.ts). */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A queue or topic with delayed delivery (SQS DelaySeconds, Azure visibility timeout, …).
 * `delaySeconds` may be fractional; an adapter rounds down to what its cloud supports and caps it
 * at its maximum (dispatch re-queues a message that arrives early).
 */
export interface Queue {
  send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void>;
}

/** What a backend reports about a piece of infrastructure it started. */
export type InfraState = "pending" | "running" | "succeeded" | "failed" | "gone";

export interface InfraStatus {
  state: InfraState;
  /** Exit code of the flow's container/process, when known. */
  exitCode?: number | null;
  /** Cloud-side reason (stop code, condition message…), when known. */
  reason?: string;
}

/** Everything a backend may need besides the rendered job configuration. */
export interface BackendContext {
  flowRun: FlowRun;
  /** Work pool name and type. */
  pool: { name: string; type: string };
  /**
   * True when this submit resumes a claim an earlier delivery made (it may have started the
   * infrastructure already, then died before recording the pid): look for it before starting more.
   */
  resumed?: boolean;
}

/**
 * One infrastructure type (process, ecs, cloud-run-v2, vertex-ai, azure-container-instance).
 *
 * - `prepare` is pure: job configuration → the exact request the cloud API will get. It throws a
 *   {@link import("./errors.ts").InvalidJobConfigurationError} for a configuration that can never run.
 * - `submit` starts the infrastructure. `token` is stable for one claim of a run and new for the
 *   next claim: a second `submit` with the same token must not start a second copy (ECS clientToken,
 *   deterministic job/group names, a label lookup…). It returns the `infrastructure_pid` in Prefect's
 *   own format for that type.
 * - `inspect`, `kill`, `cleanup` take that pid back; `kill` gets the re-rendered configuration.
 * - `warm` (optional) prepares what submits of the same request will share (an ECS task
 *   definition), idempotently, ahead of the burst (core/warm.ts; the tick calls it).
 */
export interface Backend<Request = unknown> {
  readonly type: string;
  prepare(config: JobConfiguration, ctx: BackendContext): Request;
  submit(request: Request, token: string, ctx: BackendContext): Promise<{ pid: string }>;
  /** What became of the infrastructure behind a pid (pid formats carry what is needed to find it). */
  inspect(pid: string, ctx: BackendContext): Promise<InfraStatus>;
  /** Stop the infrastructure. Throws InfrastructureNotFoundError when it is already gone. */
  kill(pid: string, config: JobConfiguration, graceSeconds: number): Promise<void>;
  /** Remove finished infrastructure (Cloud Run jobs, ACI groups…). Optional. */
  cleanup?(pid: string, config: JobConfiguration): Promise<void>;
  /** Resolve what submits of this request will share, before they come. Optional. */
  warm?(request: Request, ctx: BackendContext): Promise<void>;
}
