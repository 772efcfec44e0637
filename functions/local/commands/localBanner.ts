/**
 * @module
 * What `pushpool local` says when it starts and when it stops, as Prefect's worker says
 * "Worker 'x' started!" and "Worker 'x' stopped!": the pools, the API (never its credentials),
 * the tick, the webhook, the limit; and what became of the flow processes still running.
 */
import type { Config } from "../../../core/runtime/config.ts";
import type { PrefectProfile } from "../profiles.ts";

export interface BannerInput {
  config: Config;
  profile: PrefectProfile;
  /** PREFECT_API_URL came from the environment (not the profile). */
  apiFromEnv: boolean;
  stack: { webhookUrl?: string };
}

export function localBanner({ config, profile, apiFromEnv, stack }: BannerInput) {
  const pools = config.pools.map((p) => `'${p}'`).join(", ");
  const queues = config.workQueues.length ? config.workQueues.join(", ") : "all";
  const api = `${safeUrl(config.prefect.apiUrl)}${apiFromEnv ? "" : ` (profile '${profile.name}')`}`;
  const webhook = stack.webhookUrl ?? "off (set PUSHPOOL_WEBHOOK_SECRET to enable)";
  const limit = config.limit ? `${config.limit} flow run${config.limit === 1 ? "" : "s"} at once` : "none";
  const lines = [
    `pushpool local stack running: worker '${config.workerName}' serving ${pools}`,
    `  Prefect API  ${api}`,
    `  work queues  ${queues}`,
    `  tick         every ${config.tickSeconds} s`,
    `  webhook      ${webhook}`,
    `  limit        ${limit}`,
    "Stop with Ctrl-C.",
  ];
  const fields = {
    worker: config.workerName,
    pools: config.pools.join(","),
    api: safeUrl(config.prefect.apiUrl),
    ...(apiFromEnv ? {} : { profile: profile.name }),
    workQueues: config.workQueues.join(",") || "all",
    tickSeconds: config.tickSeconds,
    webhook,
    limit: config.limit ?? "none",
  };
  return { lines, fields };
}

/**
 * The last line: the stack kills the flow processes still running (their process groups, SIGKILL)
 * and does not report them; their runs stay Running until a `pushpool local` serving the pool
 * reconciles them as Crashed ("infrastructure no longer exists").
 */
export function stoppedLine(running: number): string {
  if (running === 0) return "pushpool local: stopped; no flow runs were running.";
  const runs = running === 1 ? "1 flow run was" : `${running} flow runs were`;
  return (
    `pushpool local: stopped; ${runs} still running and ${running === 1 ? "was" : "were"} killed ` +
    "(their runs are marked Crashed the next time pushpool local serves the pool)."
  );
}

/** The URL without user info, query or fragment. */
export function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return "(not a URL)";
  }
}
