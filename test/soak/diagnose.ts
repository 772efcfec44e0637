/**
 * What happened to one run, for a violation report: its state history (read unproxied), the proxied
 * Prefect calls naming it, and the function log lines naming it.
 */
import type { ProxyEvent } from "../reliability/faultProxy.ts";
import type { World } from "./world.ts";

export async function diagnoseRun(
  world: World,
  runId: string,
  events: readonly ProxyEvent[],
  logLines: readonly string[],
): Promise<string> {
  const states = await world.admin.client.readFlowRunStates(runId);
  return [
    `run ${runId}`,
    ...states
      .sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""))
      .map((s) => `  state ${s.timestamp} ${s.type}/${s.name} ${s.message ?? ""}`),
    ...events
      .filter((e) => e.path.includes(runId))
      .map((e) => `  http +${e.at}ms ${e.method} ${e.path} ${e.fault ?? "ok"}`),
    ...logLines.filter((l) => l.includes(runId)).map((l) => `  log ${l.slice(0, 400)}`),
  ].join("\n");
}
