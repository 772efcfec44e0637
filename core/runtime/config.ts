/**
 * @module
 * pushpool's own settings, parsed once from an injected environment map (never `process.env`
 * inside core). A bad value fails fast at start-up with the variable's name.
 */
import { z } from "zod";
import { ConfigError } from "../shared/errors.ts";
import { formatIssues } from "./messages.ts";

const seconds = (fallback: number) => z.coerce.number().nonnegative().default(fallback);
const list = z
  .string()
  .default("")
  .transform((s) =>
    s
      .split(",")
      .map((p) => p.trim())
      .filter(Boolean),
  );

export const ConfigSchema = z.object({
  PREFECT_API_URL: z.url(),
  PREFECT_API_KEY: z.string().min(1).optional(),
  PREFECT_API_AUTH_STRING: z.string().min(1).optional(),
  /** The API URL as the flow's container/process must reach it (defaults to PREFECT_API_URL). */
  PUSHPOOL_CONTAINER_API_URL: z.url().optional(),
  /** Work pools this deployment serves (tick, heartbeat, reconcile). */
  PUSHPOOL_POOLS: list,
  /** Only runs from these work queues of the pools (`prefect worker start --work-queue`); empty: all. */
  PUSHPOOL_WORK_QUEUES: list,
  /** The most flow runs the local stack runs at once (`prefect worker start --limit`); unset: no limit. */
  PUSHPOOL_LIMIT: z.coerce.number().int().positive().optional(),
  /** Name under which pushpool heartbeats as a worker in each pool. */
  PUSHPOOL_WORKER_NAME: z
    .string()
    .regex(/^[^/%]+$/, "must not contain '/' or '%'")
    .default("pushpool"),
  /** How often the tick runs (the cloud scheduler's cadence). */
  PUSHPOOL_TICK_SECONDS: seconds(60),
  /** How far ahead the tick looks for scheduled runs (default: 2 × tick). */
  PUSHPOOL_HORIZON_SECONDS: z.coerce.number().positive().optional(),
  /** Deliver a dispatch this long before the scheduled time (the backend's start-up); default per backend. */
  PUSHPOOL_LEAD_SECONDS: z.coerce.number().nonnegative().optional(),
  /** Dispatches per second the Prefect API sustains; larger bursts are delivered earlier (core/tick.ts). */
  PUSHPOOL_BURST_RATE: z.coerce.number().positive().default(10),
  /** A claim with no infrastructure after this long is resubmitted, then crashed. */
  PUSHPOOL_START_TIMEOUT_SECONDS: seconds(300),
  /** A started Cancelling run's own runner gets this long to cancel it before pushpool kills it (core/runs/cancel.ts). */
  PUSHPOOL_CANCEL_GRACE_SECONDS: seconds(10),
});

export interface Config {
  prefect: { apiUrl: string; apiKey?: string; authString?: string };
  containerApiUrl: string;
  pools: string[];
  /** Work queues to take runs from (empty: every queue of the pool). */
  workQueues: string[];
  /** The most flow runs started and still running at once (the local stack enforces it). */
  limit?: number;
  workerName: string;
  tickSeconds: number;
  horizonSeconds: number;
  leadSeconds?: number;
  startTimeoutSeconds: number;
  cancelGraceSeconds: number;
  burstRate: number;
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = ConfigSchema.safeParse(present);
  if (!parsed.success) throw new ConfigError(`invalid configuration: ${formatIssues(parsed.error)}`);
  const c = parsed.data;
  return Object.freeze({
    prefect: { apiUrl: c.PREFECT_API_URL, apiKey: c.PREFECT_API_KEY, authString: c.PREFECT_API_AUTH_STRING },
    containerApiUrl: c.PUSHPOOL_CONTAINER_API_URL ?? c.PREFECT_API_URL,
    pools: c.PUSHPOOL_POOLS,
    workQueues: c.PUSHPOOL_WORK_QUEUES,
    limit: c.PUSHPOOL_LIMIT,
    workerName: c.PUSHPOOL_WORKER_NAME,
    tickSeconds: c.PUSHPOOL_TICK_SECONDS,
    horizonSeconds: c.PUSHPOOL_HORIZON_SECONDS ?? Math.max(2 * c.PUSHPOOL_TICK_SECONDS, 10),
    leadSeconds: c.PUSHPOOL_LEAD_SECONDS,
    startTimeoutSeconds: c.PUSHPOOL_START_TIMEOUT_SECONDS,
    cancelGraceSeconds: c.PUSHPOOL_CANCEL_GRACE_SECONDS,
    burstRate: c.PUSHPOOL_BURST_RATE,
  });
}

/** The Prefect settings the flow's container must see (what Prefect's worker passes from its own explicitly-set settings). */
export function containerBaseEnv(config: Config): Record<string, string> {
  const env: Record<string, string> = { PREFECT_API_URL: config.containerApiUrl };
  if (config.prefect.authString) env.PREFECT_API_AUTH_STRING = config.prefect.authString;
  if (config.prefect.apiKey) env.PREFECT_API_KEY = config.prefect.apiKey;
  return env;
}
