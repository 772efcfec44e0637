/**
 * @module
 * What every runtime builds once per cold start, from its configuration and its ports: the
 * {@link Deps} the use cases share, and the tick's options. A runtime supplies only what is its
 * own — the Prefect client, the queue, the backends it wires, its logger.
 */
import { backendRegistry, leadFor } from "../backends/registry.ts";
import type { Backend } from "../ports/backend.ts";
import { type Clock, systemClock } from "../ports/clock.ts";
import type { Logger } from "../ports/logger.ts";
import type { Queue } from "../ports/queue.ts";
import type { PrefectApi } from "../prefect/api.ts";
import { VariableLease } from "../prefect/variableLease.ts";
import { PUSHPOOL_VERSION } from "../prefect/version.ts";
import type { TickOptions } from "../runs/tick.ts";
import { type Config, containerBaseEnv } from "./config.ts";
import type { Deps, Faults } from "./deps.ts";

export interface DepsInput {
  config: Config;
  api: PrefectApi;
  backends: readonly Backend[];
  queue: Queue;
  logger: Logger;
  /** The environment `{{ $VAR }}` placeholders may read (never pushpool's own secrets). */
  processEnv: Record<string, string | undefined>;
  clock?: Clock;
  faults?: Faults;
}

export function buildDeps(input: DepsInput): Deps {
  const backends = backendRegistry(input.backends);
  const clock = input.clock ?? systemClock;
  return {
    api: input.api,
    backends,
    queue: input.queue,
    clock,
    logger: input.logger,
    workerName: input.config.workerName,
    containerEnv: containerBaseEnv(input.config),
    processEnv: input.processEnv,
    prefectVersion: PUSHPOOL_VERSION,
    leadSeconds: leadFor(backends, input.config.leadSeconds),
    startTimeoutSeconds: input.config.startTimeoutSeconds,
    lease: new VariableLease(input.api, clock),
    cancelGraceSeconds: input.config.cancelGraceSeconds,
    faults: input.faults,
  };
}

/** The tick's options, as configured. */
export function tickOptions(config: Config): TickOptions {
  return {
    pools: config.pools,
    workQueues: config.workQueues,
    tickSeconds: config.tickSeconds,
    horizonSeconds: config.horizonSeconds,
    burstRate: config.burstRate,
  };
}
