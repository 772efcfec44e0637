/**
 * @module
 * Turns per-run measurements into the benchmark's result: per-side summaries, the goals checked
 * against them, a markdown table for stdout and the same data as JSON in bench/results/.
 *
 * Definitions (all in seconds, read back from the Prefect API after every run is terminal):
 * - lateness = `start_time − expected_start_time` (negative: the engine started early; Prefect's
 *   WaitForScheduledTime rule rounds its wait to whole seconds);
 * - claim lead = `expected_start_time − ` time of the run's first PENDING state (how early the
 *   dispatcher claimed it);
 * - Pending → Running = `start_time −` first PENDING (infrastructure start-up plus any wait).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Side } from "./plan.ts";
import type { RequestsPerRun } from "./requestKinds.ts";
import { fmt, type Summary, summarize } from "./stats.ts";
import { cdfSvg } from "./svg.ts";

export interface RunRecord {
  side: Side;
  group: number;
  id: string;
  name: string;
  state: string;
  expectedStart: string | null;
  start: string | null;
  latenessS: number | null;
  claimLeadS: number | null;
  pendingToRunningS: number | null;
  end: string | null;
  dispatch?: {
    sequential: number;
    requests: number;
    ms: number;
    pidToRunningS: number | null;
    attempts: number;
    requestLog: string[];
  };
}

export interface SideResult {
  side: Side;
  scheduled: number;
  completed: number;
  notCompleted: { name: string; state: string }[];
  lateness: Summary;
  claimLead: Summary;
  pendingToRunning: Summary;
  cpuSeconds: number | null;
  cpuNote: string;
}

export interface RoundTripResult {
  dispatches: number;
  sequential: Summary;
  /** Longest non-overlapping chain anywhere in the window, parallel branches included. */
  longestChainInWindow: Summary;
  requestsPerDispatch: Summary;
  dispatchMs: Summary;
  /** Runs that got more than one dispatch attempt (duplicate messages; the extra claim loses). */
  runsDispatchedMoreThanOnce: number;
  pidToRunning: Summary;
  totalRequests: number;
  requestsPerRun: number;
  typicalChain: string[][];
}

export interface WorkerRoundTripResult {
  dispatches: number;
  runSpecific: Summary;
  /** GET /deployments/{id} and GET /flows/{id} made by the worker, per run (not attributable to one run). */
  sharedReadsPerRun: number;
  dispatchMs: Summary;
  totalRequests: number;
  requestsPerRun: number;
  typicalChain: string[][];
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export function sideResult(
  side: Side,
  runs: RunRecord[],
  cpuSeconds: number | null,
  cpuNote: string,
): SideResult {
  const mine = runs.filter((r) => r.side === side);
  const values = (pick: (r: RunRecord) => number | null) =>
    mine.map(pick).filter((v): v is number => v !== null);
  return {
    side,
    scheduled: mine.length,
    completed: mine.filter((r) => r.state === "COMPLETED").length,
    notCompleted: mine.filter((r) => r.state !== "COMPLETED").map((r) => ({ name: r.name, state: r.state })),
    lateness: summarize(values((r) => r.latenessS)),
    claimLead: summarize(values((r) => r.claimLeadS)),
    pendingToRunning: summarize(values((r) => r.pendingToRunningS)),
    cpuSeconds,
    cpuNote,
  };
}

/** The most Prefect requests a run may cause without faults (issue #11). */
export const MAX_REQUESTS_PER_RUN = 8;

export function checkGoals(
  pp: SideResult,
  wk: SideResult,
  trips: RoundTripResult,
  requests: RequestsPerRun,
): Goal[] {
  const ppP95 = pp.lateness.p95;
  const wkP95 = wk.lateness.p95;
  const ratio = ppP95 !== null && wkP95 !== null && ppP95 > 0 ? wkP95 / ppP95 : null;
  const ratioMet = ratio !== null ? ratio >= 5 : ppP95 !== null && wkP95 !== null && wkP95 > 0;
  const maxSeq = trips.sequential.max;
  return [
    {
      goal: "pushpool start lateness p95",
      target: "≤ 1 s",
      measured: `${fmt(ppP95)} s`,
      met: ppP95 !== null && ppP95 <= 1,
    },
    {
      goal: "worker p95 / pushpool p95",
      target: "≥ 5×",
      measured:
        ratio !== null ? `${fmt(ratio, 1)}×` : ppP95 !== null && ppP95 <= 0 ? "∞ (pushpool p95 ≤ 0)" : "–",
      met: ratioMet,
    },
    {
      goal: "sequential Prefect round trips per dispatch (max)",
      target: "≤ 4",
      measured: `${fmt(maxSeq, 0)} (over ${trips.dispatches} dispatches)`,
      met: maxSeq !== null && maxSeq <= 4 && trips.dispatches === pp.scheduled,
    },
    {
      goal: "Prefect requests caused by a run (no faults injected)",
      target: `≤ ${MAX_REQUESTS_PER_RUN}`,
      measured: `${fmt(requests.caused, 2)} (${fmt(requests.all, 2)} with the periodic ones)`,
      met: Number.isFinite(requests.caused) && requests.caused <= MAX_REQUESTS_PER_RUN,
    },
    {
      goal: "every run COMPLETED",
      target: `${pp.scheduled} + ${wk.scheduled}`,
      measured: `${pp.completed} + ${wk.completed}`,
      met: pp.notCompleted.length === 0 && wk.notCompleted.length === 0,
    },
  ];
}

export function markdown(
  pp: SideResult,
  wk: SideResult,
  trips: RoundTripResult,
  wTrips: WorkerRoundTripResult,
  goals: Goal[],
): string {
  const ps = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.max)}`;
  const rows: [string, string, string][] = [
    ["runs completed / scheduled", `${pp.completed} / ${pp.scheduled}`, `${wk.completed} / ${wk.scheduled}`],
    ["**start lateness p50 / p95 / max (s)**", ps(pp.lateness), ps(wk.lateness)],
    ["claimed before scheduled time p50 / p95 / max (s)", ps(pp.claimLead), ps(wk.claimLead)],
    ["Pending → Running p50 / p95 / max (s)", ps(pp.pendingToRunning), ps(wk.pendingToRunning)],
    [
      "sequential API round trips per dispatch (median / max) ⁵",
      `${fmt(trips.sequential.p50, 0)} / ${fmt(trips.sequential.max, 0)}`,
      `≥ ${fmt(wTrips.runSpecific.p50, 0)} / ≥ ${fmt(wTrips.runSpecific.max, 0)} ³`,
    ],
    [
      "API requests per dispatch (median / max)",
      `${fmt(trips.requestsPerDispatch.p50, 0)} / ${fmt(trips.requestsPerDispatch.max, 0)}`,
      "–",
    ],
    [
      "runs dispatched more than once (duplicate message; the extra claim loses)",
      `${trips.runsDispatchedMoreThanOnce} / ${trips.dispatches}`,
      "–",
    ],
    [
      "dispatch critical path p50 / p95 (ms) ⁴",
      `${fmt(trips.dispatchMs.p50, 0)} / ${fmt(trips.dispatchMs.p95, 0)}`,
      `${fmt(wTrips.dispatchMs.p50, 0)} / ${fmt(wTrips.dispatchMs.p95, 0)}`,
    ],
    ["pid recorded (process spawned) → Running p50 / p95 / max (s)", ps(trips.pidToRunning), "–"],
    [
      "all API requests per run (tick/poll, heartbeat, reconcile, report included)",
      fmt(trips.requestsPerRun, 1),
      fmt(wTrips.requestsPerRun, 1),
    ],
    [
      "dispatcher CPU seconds over the run window",
      `${fmt(pp.cpuSeconds, 1)} ¹`,
      `${fmt(wk.cpuSeconds, 1)} ²`,
    ],
  ];
  const lines = [
    "| metric | pushpool local stack | Prefect `process` worker |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `¹ ${pp.cpuNote}`,
    `² ${wk.cpuNote}`,
    "³ worker, through a recording proxy, from the end of the poll that returned the run to its pid PATCH, " +
      "counting only the requests whose path names the run (a group's runs are handled concurrently, so the " +
      `shared reads cannot be attributed): a lower bound. The worker also made ${fmt(wTrips.sharedReadsPerRun, 1)} ` +
      "deployment/flow reads per run. The wait for the next poll (0–10 s) is not counted.",
    "⁴ pushpool: its read of the run → pid PATCH; worker: poll answer → pid PATCH.",
    "⁵ along the chain that ends with the pid PATCH; the labels PATCH is sent beside it. Counting any chain " +
      "in the window instead (a labels PATCH retried after a 503 then counts twice) gives " +
      `${fmt(trips.longestChainInWindow.p50, 0)} / ${fmt(trips.longestChainInWindow.max, 0)} for pushpool.`,
    "",
    "| goal | target | measured | met |",
    "|---|---|---|---|",
    ...goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? "yes" : "**NO**"} |`),
  ];
  const notDone = [...pp.notCompleted, ...wk.notCompleted];
  if (notDone.length)
    lines.push("", `Not completed: ${notDone.map((r) => `${r.name} (${r.state})`).join(", ")}`);
  if (trips.typicalChain.length)
    lines.push(
      "",
      "Typical dispatch critical path (parallel requests share a step):",
      ...trips.typicalChain.map((step, i) => `${i + 1}. ${step.join("  ‖  ")}`),
    );
  if (wTrips.typicalChain.length)
    lines.push(
      "",
      "Prefect worker, typical run-specific path after the poll (its deployment/flow reads interleave, unattributed):",
      ...wTrips.typicalChain.map((step, i) => `${i + 1}. ${step.join("  ‖  ")}`),
    );
  return lines.join("\n");
}

/** Writes local-<time>.json and, beside it, local-<time>.svg: both sides' lateness CDFs (path printed). */
export function writeJson(
  result: { runs: readonly RunRecord[] } & Record<string, unknown>,
  dir: string,
): string {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `local-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const svg = file.replace(/\.json$/, ".svg");
  writeFileSync(svg, latenessSvg(result.runs, now));
  process.stdout.write(`\nSVG: ${svg}\n`);
  return file;
}

export function latenessSvg(runs: readonly RunRecord[], at: Date): string {
  const of = (side: Side) =>
    runs.flatMap((r) => (r.side === side && r.latenessS !== null ? [r.latenessS] : []));
  return cdfSvg({
    title: "Flow start lateness: pushpool local stack vs Prefect process worker",
    unit: "s",
    xLabel: "start lateness = start_time − expected_start_time (s)",
    zeroLabel: "on time",
    series: [
      { name: "pushpool", values: of("pushpool") },
      { name: "Prefect process worker", values: of("worker") },
    ],
    note: `npm run bench (bench/local.bench.ts), ${at.toISOString().slice(0, 16)} UTC.`,
  });
}
