/**
 * After fault injection ends (no new runs are requested after that), the soak waits for quiet:
 * every run finished, both queues empty, no invocation or task running — twice in a row. It waits
 * up to a generous cap, and stops sooner only when every unfinished run is stuck (./progress.ts):
 * nothing queued for it and no progress for the bound, which waiting longer cannot change. Each check notes the open runs' state and pid changes as
 * progress, and the report says what was waited for and how long.
 */
import type { FlowRun } from "../../core/prefect/types.ts";
import { queueDepth, verdict } from "./census.ts";
import type { Pipeline } from "./pipeline.ts";
import { classify, type ProgressLog } from "./progress.ts";
import type { World } from "./world.ts";

export interface QuietSample {
  at: number;
  /** Unfinished runs (Pending, Running, due Scheduled), then how many of them are stuck. */
  open: number;
  stuck: number;
  /** Messages visible, in flight or delayed on both queues. */
  queued: number;
  /** Invocations in progress plus tasks running. */
  busy: number;
}

export interface QuietReport {
  quiet: boolean;
  /** Why waiting stopped. */
  reason: "quiet" | "cap" | "all open runs stuck";
  faultsEndedAt: number;
  waitedMs: number;
  capMs: number;
  stuckAfterMs: number;
  first: QuietSample | null;
  /** The last check that was not quiet. */
  lastBusy: QuietSample | null;
}

export interface QuietOptions {
  world: World;
  pipeline: Pipeline;
  log: ProgressLog;
  faultsEndedAt: number;
  capMs: number;
  stuckAfterMs: number;
  /** Between checks (default 3 s). */
  intervalMs?: number;
  /** Between full listings of the open runs (default 30 s). */
  listEveryMs?: number;
  progress(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const OPEN = ["SCHEDULED", "PENDING", "RUNNING"] as const;

/** How many runs are open: one cheap count, so waiting does not load the server it measures. */
async function countOpen(world: World): Promise<number> {
  return await world.admin.rest<number>("POST", "/flow_runs/count", {
    flow_runs: { state: { type: { any_: OPEN } } },
    work_pools: { name: { any_: [world.pool.name] } },
  });
}

async function openRuns(world: World): Promise<FlowRun[]> {
  const out: FlowRun[] = [];
  for (let offset = 0; ; offset += 200) {
    const page = await world.admin.client.filterFlowRuns({
      workPoolNames: [world.pool.name],
      stateTypes: [...OPEN],
      limit: 200,
      offset,
      sort: "ID_DESC", // a total order: pages by offset neither skip nor repeat a run
    });
    out.push(...page);
    if (page.length < 200) return out.filter((r) => verdict(r) !== "ok");
  }
}

/** Notes a run's state and pid as progress when they changed since the last check. */
export function observeRuns(
  runs: readonly FlowRun[],
  log: ProgressLog,
  seen: Map<string, string>,
  now: number,
) {
  for (const r of runs) {
    const before = seen.get(r.id);
    const [stateBefore, pidBefore] = before ? before.split("|") : [undefined, undefined];
    const stateId = r.state?.id ?? r.state?.timestamp ?? "";
    const pid = r.infrastructure_pid ?? "";
    if (stateId !== stateBefore)
      log.note(r.id, `state ${r.state_type}/${r.state_name}`, Date.parse(r.state?.timestamp ?? "") || now);
    if (before && pid !== pidBefore) log.note(r.id, `pid ${pid ? pid.slice(-8) : "cleared"}`, now);
    seen.set(r.id, `${stateId}|${pid}`);
  }
}

export async function untilQuiet(o: QuietOptions): Promise<QuietReport> {
  const seen = new Map<string, string>();
  const report: QuietReport = {
    quiet: false,
    reason: "cap",
    faultsEndedAt: o.faultsEndedAt,
    waitedMs: 0,
    capMs: o.capMs,
    stuckAfterMs: o.stuckAfterMs,
    first: null,
    lastBusy: null,
  };
  let quietPasses = 0;
  let listedAt = 0;
  let stuck = 0;
  while (Date.now() - o.faultsEndedAt < o.capMs) {
    try {
      // The full list (to note state/pid changes and judge stuck-ness) every `listEveryMs`, or
      // whenever few runs are left; a count in between. After faults end no run is scheduled in the
      // future, so the count is the open runs.
      let open = await countOpen(o.world);
      const now = Date.now();
      if (open > 0 && (open <= 20 || now - listedAt >= (o.listEveryMs ?? 30_000))) {
        const runs = await openRuns(o.world);
        listedAt = now;
        open = runs.length;
        observeRuns(runs, o.log, seen, now);
        stuck = runs.filter(
          (r) =>
            classify({
              finished: false,
              lastProgressAt: o.log.lastAt(r.id),
              faultsEndedAt: o.faultsEndedAt,
              now,
              stuckAfterMs: o.stuckAfterMs,
              waiting: o.log.waiting(r.id),
            }) === "stuck",
        ).length;
      } else if (open === 0) stuck = 0;
      const queued =
        (await queueDepth(o.world, o.world.dispatch)) + (await queueDepth(o.world, o.world.events));
      const sample = { at: now, open, stuck, queued, busy: o.pipeline.busy() };
      report.first ??= sample;
      const quietNow = sample.open === 0 && sample.queued === 0 && sample.busy === 0;
      if (!quietNow) report.lastBusy = sample;
      quietPasses = quietNow ? quietPasses + 1 : 0;
      o.progress(
        `+${((now - o.faultsEndedAt) / 1000).toFixed(0)} s after faults: open runs ${sample.open} (stuck ${stuck}), queued ${queued}, busy ${sample.busy}`,
      );
      if (quietPasses >= 2) {
        report.quiet = true;
        report.reason = "quiet";
        break;
      }
      if (sample.open > 0 && stuck === sample.open && listedAt === now) {
        report.reason = "all open runs stuck";
        break;
      }
    } catch (error) {
      o.progress(`quiet check failed: ${(error as Error).message}`);
    }
    await sleep(o.intervalMs ?? 3_000);
  }
  report.waitedMs = Date.now() - o.faultsEndedAt;
  return report;
}

const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const describe = (x: QuietSample) =>
  `${x.open} run(s) unfinished (${x.stuck} stuck), ${x.queued} message(s) queued or in flight, ${x.busy} invocation(s)/task(s) busy`;

/** "waited 74 s for quiet after faults ended (cap 600 s): …" */
export function describeQuiet(r: QuietReport): string {
  const head =
    r.reason === "quiet"
      ? `quiet ${s(r.waitedMs)} after faults ended`
      : `NOT quiet: stopped ${s(r.waitedMs)} after faults ended (${r.reason})`;
  const parts = [`${head} (cap ${s(r.capMs)}, stuck after ${s(r.stuckAfterMs)} without progress)`];
  if (r.first) parts.push(`when faults ended: ${describe(r.first)}`);
  if (r.lastBusy)
    parts.push(`last busy check at +${s(r.lastBusy.at - r.faultsEndedAt)}: ${describe(r.lastBusy)}`);
  return parts.join("; ");
}
