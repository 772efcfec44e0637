/**
 * The verdict on the runs left unfinished when waiting for quiet stopped: each one's state history
 * (read unproxied) joins the progress the soak noted, and ./progress.ts's rule says stuck or slow.
 */
import type { FlowRun } from "../../core/prefect/types.ts";
import { verdict } from "./census.ts";
import { classify, type ProgressLog } from "./progress.ts";
import type { QuietReport } from "./quiet.ts";
import type { World } from "./world.ts";

export interface Unsettled {
  stuck: FlowRun[];
  slow: FlowRun[];
  /** Per run: its progress history, for the report. */
  histories: Map<string, string[]>;
}

export async function unsettled(
  world: World,
  runs: readonly FlowRun[],
  log: ProgressLog,
  quiet: QuietReport,
  t0: number,
): Promise<Unsettled> {
  const open = runs.filter((r) => verdict(r) === "stuck");
  // Judged when waiting stopped; progress noted after that (before the pipeline stopped) counts.
  const now = quiet.faultsEndedAt + quiet.waitedMs;
  const out: Unsettled = { stuck: [], slow: [], histories: new Map() };
  for (const run of open) {
    for (const s of await world.admin.client.readFlowRunStates(run.id).catch(() => []))
      log.note(run.id, `state ${s.type}/${s.name} ${s.message ?? ""}`.trim(), Date.parse(s.timestamp ?? ""));
    const settling = classify({
      finished: false,
      lastProgressAt: log.lastAt(run.id),
      faultsEndedAt: quiet.faultsEndedAt,
      now,
      stuckAfterMs: quiet.stuckAfterMs,
      waiting: log.waiting(run.id),
    });
    (settling === "stuck" ? out.stuck : out.slow).push(run);
    const last = log.lastAt(run.id);
    out.histories.set(run.id, [
      `${settling} run ${run.id} (${run.state_type}/${run.state_name}${log.waiting(run.id) ? ", a message for it queued" : ""}); last progress ${last === undefined ? "never" : `+${((last - t0) / 1000).toFixed(1)} s`}, faults ended +${((quiet.faultsEndedAt - t0) / 1000).toFixed(1)} s, judged at +${((now - t0) / 1000).toFixed(1)} s`,
      ...log.describe(run.id, t0),
    ]);
  }
  return out;
}
