/**
 * @module
 * What the use cases share: the Prefect port, the backends, time, logs and settings. Each runtime
 * builds one of these at start-up (functions/<cloud>/wiring).
 */

import type { Backend, Clock, Logger, Queue } from "./ports.ts";
import type { PrefectApi } from "./prefect/api.ts";

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
  /** Seconds before the scheduled time to deliver a dispatch; per pool type when not set globally. */
  leadSeconds(poolType: string): number;
  startTimeoutSeconds: number;
  /** `process` pools without a command run `<pythonExecutable> -m prefect.engine` (default `python`). */
  pythonExecutable?: string;
  faults?: Faults;
}

/** Typical infrastructure start-up per pool type, used as the default dispatch lead. */
export const DEFAULT_LEAD_SECONDS: Readonly<Record<string, number>> = {
  // A flow process imports Prefect before it can start (~2.5 s alone, 6–15 s when several start at
  // once on 2 cores — bench/local.bench.ts). The engine waits for the scheduled time, so early is free.
  process: 15,
  ecs: 45,
  "cloud-run-v2": 20,
  "vertex-ai": 90,
  "azure-container-instance": 60,
};
