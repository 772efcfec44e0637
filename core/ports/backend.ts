/**
 * @module
 * The backend contract: one infrastructure type (`core/backends/<type>/`) behind one port. Core
 * never names a type; everything a type knows — its lead time, its label, what it adds to a
 * prepared flow run, how its pids compare, how to find what a submit token started — is here.
 *
 * Starting infrastructure exactly once per claim is core's protocol (core/backends/startOnce.ts);
 * a backend supplies only its primitives:
 * - `resolve` (optional): what every start of this request shares, found or created idempotently
 *   (an ECS task definition, default networking) → the launch the other primitives take;
 * - `find`: the infrastructure a token already started, or null;
 * - `start`: start it, carrying the token (a tag, a label, a deterministic name, a client token);
 * - `mayHaveStarted`: whether a failed `start` may have started it anyway (no answer, a 5xx, a body
 *   cut mid-way) — then the protocol looks before it starts again.
 */
import type { JobConfiguration, TemplatedJobConfiguration } from "../job/types.ts";
import type { FlowRun } from "../prefect/types.ts";
import type { CheckRow } from "./check.ts";

/**
 * What a backend reports about a piece of infrastructure it started. `foreign`: infrastructure
 * this backend cannot judge — a process another host started, or one Prefect's own process worker
 * started (its pid has no host). Reconcile leaves such a run to whoever started it instead of
 * reading "not found here" as "gone".
 */
export type InfraState = "pending" | "running" | "succeeded" | "failed" | "gone" | "foreign";

export interface InfraStatus {
  state: InfraState;
  /** Exit code of the flow's container/process, when known. */
  exitCode?: number | null;
  /** Cloud-side reason (stop code, condition message…), when known. */
  reason?: string;
  /**
   * The tail of the flow container's log, when it ended before the flow run started (for core to
   * forward to the run's logs). Only backends that read logs while inspecting set it.
   */
  logs?: string[];
}

/** One infrastructure to inspect: its pid, the run's rendered configuration and context. */
export interface InspectItem {
  pid: string;
  config: JobConfiguration;
  ctx: BackendContext;
}

/** What {@link Backend.inspectMany} found for one item. */
export type InspectOutcome = { status: InfraStatus } | { error: unknown };

/** Everything a backend may need besides the rendered job configuration. */
export interface BackendContext {
  flowRun: FlowRun;
  /** Work pool name and type. */
  pool: { name: string; type: string };
}

/** Infrastructure a token started: its pid in Prefect's own format for the type. */
export interface Started {
  pid: string;
}

/** What `prepareForFlowRun` gives a backend's own step (see {@link Backend.adaptPrepared}). */
export interface PreparedContext {
  /** The configuration as rendered, before Prefect's common preparation. */
  rendered: TemplatedJobConfiguration;
  /** The dispatcher's own environment (for types whose flows inherit it). */
  env: Readonly<Record<string, string | undefined>>;
}

export interface Backend<Request = unknown, Launch = Request> {
  /** The work pool type it serves (the pool's `type`). */
  readonly type: string;
  /** One piece of its infrastructure, for people (an "ECS task"). */
  readonly label: string;
  /** Typical start-up: dispatches are delivered this many seconds before the scheduled time. */
  readonly leadSeconds: number;
  /**
   * True when pushpool itself runs the flow's process and nothing inside supervises it (the local
   * backend runs `python -m prefect.engine` as its own child): a Cancelling run is killed at once.
   * Otherwise a started run's in-container runner (`prefect flow-run execute`) may cancel it
   * itself, so it gets the cancel grace first (core/runs/cancel.ts).
   */
  readonly supervised?: boolean;

  /**
   * The type's own part of Prefect's `prepare_for_flow_run` (the local process worker's python
   * executable, inherited environment, working directory…). Pure; returns the configuration.
   */
  adaptPrepared?(prepared: JobConfiguration, ctx: PreparedContext): JobConfiguration;

  /**
   * Pure: job configuration → the request the cloud API will get. Throws an
   * InvalidJobConfigurationError for a configuration that can never run.
   */
  prepare(config: JobConfiguration, ctx: BackendContext): Request;
  /** What every start of this request shares, found or made idempotently. Default: the request. */
  resolve?(request: Request, ctx: BackendContext): Promise<Launch>;
  /** The infrastructure `token` started for this run, or null. */
  find(launch: Launch, token: string, ctx: BackendContext): Promise<Started | null>;
  /** Starts the infrastructure, carrying `token` so that `find` can see it. */
  start(launch: Launch, token: string, ctx: BackendContext): Promise<Started>;
  /** True when a failed `start` may have started the infrastructure all the same. */
  mayHaveStarted(error: unknown): boolean;

  /** What became of the infrastructure behind a pid. A pid it does not know → `gone`. */
  inspect(pid: string, config: JobConfiguration, ctx: BackendContext): Promise<InfraStatus>;
  /**
   * {@link inspect} for many pids at once (the reconcile of a tick), in fewer cloud calls; one
   * result per item, in order, a failure as `{ error }` for the items it concerns. Optional: without
   * it each item is inspected on its own.
   */
  inspectMany?(items: readonly InspectItem[]): Promise<InspectOutcome[]>;
  /** Stops the infrastructure. Throws InfrastructureNotFoundError when it is already gone. */
  kill(pid: string, config: JobConfiguration, graceSeconds: number, ctx: BackendContext): Promise<void>;
  /** Removes finished infrastructure (Cloud Run jobs, ACI groups…). Optional. */
  cleanup?(pid: string, config: JobConfiguration, ctx: BackendContext): Promise<void>;
  /** Resolves what submits of this request will share, ahead of a burst (the tick calls it). */
  warm?(request: Request, ctx: BackendContext): Promise<void>;
  /** True when two spellings of a pid name the same infrastructure. Default: string equality. */
  samePid?(a: string, b: string): boolean;
  /**
   * `pushpool doctor`: the checks this type can make of a pool's configuration (rendered from the
   * pool's defaults) on its infrastructure — cluster exists, interpreter has prefect… One row each.
   */
  doctor?(config: JobConfiguration, ctx: BackendContext): Promise<CheckRow[]>;
}

/** {@link Backend.samePid}, or equality when the type has no other spellings. */
export function samePid(backend: Backend, a: string, b: string): boolean {
  return a === b || (backend.samePid?.(a, b) ?? false);
}
