/**
 * @module
 * What the use cases share: the Prefect port, the backends, time, logs and settings. Each runtime
 * builds one of these at start-up (functions/<cloud>/wiring).
 */

import type { Backend } from "../ports/backend.ts";
import type { Clock } from "../ports/clock.ts";
import type { StartLease } from "../ports/lease.ts";
import type { Logger } from "../ports/logger.ts";
import type { Queue } from "../ports/queue.ts";
import type { PrefectApi } from "../prefect/api.ts";

export interface Faults {
  /** Test hook: called right after a successful claim (crash injection). */
  afterClaim?(flowRunId: string): void | Promise<void>;
  /** Test hook: called after submit, before the pid is recorded. */
  afterSubmit?(flowRunId: string): void | Promise<void>;
}

export interface Deps {
  api: PrefectApi;
  backends: ReadonlyMap<string, Backend>;
  queue: Queue;
  clock: Clock;
  logger: Logger;
  workerName: string;
  /** Prefect settings the flow's container must see (API URL, credentials). */
  containerEnv: Record<string, string>;
  /** The dispatcher's own environment, for `{{ $VAR }}` placeholders. */
  processEnv: Record<string, string | undefined>;
  /** Reported as `prefect.io/version`. */
  prefectVersion: string;
  /**
   * Seconds before the scheduled time to deliver a dispatch of a pool of this type: the configured
   * lead, else the backend's own (core/runtime/buildDeps.ts).
   */
  leadSeconds(poolType: string): number;
  startTimeoutSeconds: number;
  /** Lets one of several concurrent resumers of a claim start it (core/backends/startOnce.ts). */
  lease?: StartLease;
  /** Seconds a started Cancelling run's own runner gets before pushpool kills it (default 10; core/runs/cancel.ts). */
  cancelGraceSeconds?: number;
  faults?: Faults;
}
