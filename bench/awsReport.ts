/**
 * @module
 * Turns what `npm run bench:aws` recorded into per-side results, goals, one markdown report and
 * the JSON file in bench/results/.
 *
 * Definitions (seconds unless said otherwise):
 * - RunTask time: when the run's first ECS RunTask request reached the side's recording proxy in
 *   front of moto (bench/awsProxy.ts), the same clock and place for both sides;
 * - submission lateness = RunTask time − (scheduled time − lead), lead = pushpool's ECS lead, or the
 *   worker's prefetch (its look-ahead, 10 s);
 * - runs dispatched per second, per instant = runs of the instant ÷ (last − first RunTask time);
 * - dispatch window of an instant = [scheduled − lead − 1.5 s, last RunTask + 3 s]; runs per CPU-second
 *   = runs ÷ the CPU seconds the side's process tree spent in its dispatch windows.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AwsCall } from "./awsProxy.ts";
import type { BundlesResult } from "./bundles.ts";
import { bundleGoals, bundlesMarkdown, type Goal, goalsMarkdown } from "./bundlesReport.ts";
import type { Side } from "./plan.ts";
import type { RequestsPerRun } from "./requestKinds.ts";
import { fmt, type Summary, summarize } from "./stats.ts";
import { cdfSvg } from "./svg.ts";

export interface Instant {
  side: Side;
  index: number;
  /** Epoch ms all runs of the instant are scheduled for. */
  scheduled: number;
  /** scheduled − lead. */
  open: number;
  runIds: string[];
}

export interface InstantResult {
  index: number;
  scheduled: string;
  runs: number;
  dispatched: number;
  firstRunTaskS: number | null;
  lastRunTaskS: number | null;
  runsPerSecond: number | null;
  windowCpuSeconds: number | null;
}

export interface AwsSideResult {
  side: Side;
  leadSeconds: number;
  scheduled: number;
  dispatched: number;
  lateness: Summary;
  /** Lateness measured in-process (pushpool's recorder, call start) instead of at the proxy. */
  latenessInProcess?: Summary;
  runTaskCalls: number;
  runsWithMoreThanOneRunTask: number;
  instants: InstantResult[];
  runsPerSecond: { medianOfInstants: number | null; allInstants: number | null };
  windowCpuSeconds: number | null;
  runsPerCpuSecond: number | null;
  periodCpuSeconds: number | null;
  runsPerCpuSecondPeriod: number | null;
  registrations: number;
  registeredRevisions: string[];
  /** Task definitions the RunTask requests named → number of runs. */
  runTaskDefinitions: Record<string, number>;
  distinctSpecs: number;
  ecsCalls: Record<string, number>;
  cpuNote: string;
  /** pushpool only: the same windows with the emulated SQS event source's process counted too. */
  withEventSource?: { windowCpuSeconds: number | null; runsPerCpuSecond: number | null };
}

export type { Goal };

/** First RunTask request time per flow run, and how many RunTask calls each run got. */
export function runTaskTimes(calls: readonly AwsCall[]): Map<string, { at: number; count: number }> {
  const out = new Map<string, { at: number; count: number }>();
  for (const c of calls) {
    if (c.op !== "RunTask" || !c.flowRunId) continue;
    const seen = out.get(c.flowRunId);
    if (!seen) out.set(c.flowRunId, { at: c.at, count: 1 });
    else {
      seen.count++;
      seen.at = Math.min(seen.at, c.at);
    }
  }
  return out;
}

export function sideResult(o: {
  side: Side;
  leadSeconds: number;
  instants: Instant[];
  calls: readonly AwsCall[];
  cpuIn(from: number, to: number): number | null;
  period: { from: number; to: number };
  registeredRevisions: string[];
  distinctSpecs: number;
  inProcess?: Map<string, number>;
  cpuNote: string;
}): AwsSideResult {
  const times = runTaskTimes(o.calls);
  const lateness: number[] = [];
  const inProcess: number[] = [];
  const instants: InstantResult[] = [];
  let windowCpu: number | null = 0;
  let dispatched = 0;
  let scheduled = 0;
  let spanSum = 0;
  let spanRuns = 0;
  for (const instant of o.instants) {
    const at = instant.runIds.flatMap((id) => {
      const t = times.get(id);
      return t ? [t.at] : [];
    });
    for (const id of instant.runIds) {
      const t = times.get(id);
      if (t) lateness.push((t.at - instant.open) / 1000);
      const ip = o.inProcess?.get(id);
      if (ip !== undefined) inProcess.push((ip - instant.open) / 1000);
    }
    scheduled += instant.runIds.length;
    dispatched += at.length;
    const first = at.length ? Math.min(...at) : null;
    const last = at.length ? Math.max(...at) : null;
    const span = first !== null && last !== null ? (last - first) / 1000 : null;
    const rate = span !== null && span > 0 ? at.length / span : null;
    if (span !== null && span > 0) {
      spanSum += span;
      spanRuns += at.length;
    }
    // The window opens 1.5 s before the earlier of scheduled − lead and the first RunTask: a burst
    // delivered early (PUSHPOOL_BURST_RATE) does its work before scheduled − lead.
    const opens = Math.min(instant.open, first ?? instant.open) - 1500;
    const cpu = last !== null ? o.cpuIn(opens, last + 3000) : null;
    windowCpu = windowCpu === null || cpu === null ? null : windowCpu + cpu;
    instants.push({
      index: instant.index,
      scheduled: new Date(instant.scheduled).toISOString(),
      runs: instant.runIds.length,
      dispatched: at.length,
      firstRunTaskS: first !== null ? (first - instant.open) / 1000 : null,
      lastRunTaskS: last !== null ? (last - instant.open) / 1000 : null,
      runsPerSecond: rate,
      windowCpuSeconds: cpu,
    });
  }
  const rates = instants.flatMap((i) => (i.runsPerSecond !== null ? [i.runsPerSecond] : []));
  const periodCpu = o.cpuIn(o.period.from, o.period.to);
  const runTaskDefinitions: Record<string, number> = {};
  for (const c of o.calls)
    if (c.op === "RunTask" && c.taskDefinition)
      runTaskDefinitions[c.taskDefinition] = (runTaskDefinitions[c.taskDefinition] ?? 0) + 1;
  const ecsCalls: Record<string, number> = {};
  for (const c of o.calls) ecsCalls[c.op] = (ecsCalls[c.op] ?? 0) + 1;
  const counts = [...times.values()];
  return {
    side: o.side,
    leadSeconds: o.leadSeconds,
    scheduled,
    dispatched,
    lateness: summarize(lateness),
    ...(o.inProcess ? { latenessInProcess: summarize(inProcess) } : {}),
    runTaskCalls: o.calls.filter((c) => c.op === "RunTask").length,
    runsWithMoreThanOneRunTask: counts.filter((c) => c.count > 1).length,
    instants,
    runsPerSecond: {
      medianOfInstants: summarize(rates).p50,
      allInstants: spanSum > 0 ? spanRuns / spanSum : null,
    },
    windowCpuSeconds: windowCpu,
    runsPerCpuSecond: windowCpu ? dispatched / windowCpu : null,
    periodCpuSeconds: periodCpu,
    runsPerCpuSecondPeriod: periodCpu ? dispatched / periodCpu : null,
    registrations: o.calls.filter((c) => c.op === "RegisterTaskDefinition" && c.status === 200).length,
    registeredRevisions: o.registeredRevisions,
    runTaskDefinitions,
    distinctSpecs: o.distinctSpecs,
    ecsCalls,
    cpuNote: o.cpuNote,
  };
}

/** pushpool's runs per CPU-second must be at least this multiple of the worker's (issue #11). */
export const CPU_RATIO_GOAL = 10;

/** What the dispatch handler's traced Prefect requests showed (aws.bench.ts). */
export interface DispatchRequests {
  /** Sequential round trips per dispatch, up to the pid PATCH (bench/roundTrips.ts); null untraced. */
  sequential: Summary | null;
  /** Dispatches traced up to a recorded pid. */
  dispatches: number;
  requests: RequestsPerRun;
}

export function checkGoals(
  pp: AwsSideResult,
  wk: AwsSideResult,
  bundles: BundlesResult | null,
  dispatch: DispatchRequests,
): Goal[] {
  const ppP95 = pp.lateness.p95;
  const wkP95 = wk.lateness.p95;
  const ratio = ppP95 !== null && wkP95 !== null && ppP95 > 0 ? wkP95 / ppP95 : null;
  const cpuRatio =
    pp.runsPerCpuSecond !== null && wk.runsPerCpuSecond !== null && wk.runsPerCpuSecond > 0
      ? pp.runsPerCpuSecond / wk.runsPerCpuSecond
      : null;
  const goals: Goal[] = [
    {
      goal: "pushpool submission lateness p95",
      target: "≤ 1 s",
      measured: `${fmt(ppP95)} s`,
      met: ppP95 !== null && ppP95 <= 1,
    },
    {
      goal: "worker lateness p95 / pushpool lateness p95",
      target: "≥ 5×",
      measured:
        ratio !== null ? `${fmt(ratio, 1)}×` : ppP95 !== null && ppP95 <= 0 ? "∞ (pushpool p95 ≤ 0)" : "–",
      met: ratio !== null ? ratio >= 5 : ppP95 !== null && ppP95 <= 0 && wkP95 !== null && wkP95 > 0,
    },
    {
      goal: "pushpool runs per CPU-second / worker's",
      target: `≥ ${CPU_RATIO_GOAL}×`,
      measured: cpuRatio !== null ? `${fmt(cpuRatio, 1)}×` : "–",
      met: cpuRatio !== null && cpuRatio >= CPU_RATIO_GOAL,
    },
    {
      goal: "Prefect requests caused by a run (no faults injected)",
      target: "≤ 8",
      measured: `${fmt(dispatch.requests.caused, 2)} (${fmt(dispatch.requests.all, 2)} with the tick's)`,
      met: Number.isFinite(dispatch.requests.caused) && dispatch.requests.caused <= 8,
    },
    {
      goal: "pushpool task-definition registrations",
      target: `1 per distinct spec (${pp.distinctSpecs})`,
      measured: `${pp.registrations}`,
      met: pp.registrations === pp.distinctSpecs,
    },
    {
      goal: "every run submitted exactly once",
      target: `${pp.scheduled} + ${wk.scheduled}`,
      measured: `${pp.dispatched} + ${wk.dispatched} (duplicates ${pp.runsWithMoreThanOneRunTask} + ${wk.runsWithMoreThanOneRunTask})`,
      met:
        pp.dispatched === pp.scheduled &&
        wk.dispatched === wk.scheduled &&
        pp.runsWithMoreThanOneRunTask === 0 &&
        wk.runsWithMoreThanOneRunTask === 0,
    },
  ];
  const seq = dispatch.sequential;
  if (seq)
    goals.push({
      goal: "sequential Prefect round trips per dispatch (max)",
      target: "≤ 4",
      measured: `${fmt(seq.max, 0)} (over ${dispatch.dispatches} dispatches)`,
      met: seq.max !== null && seq.max <= 4 && dispatch.dispatches === pp.scheduled,
    });
  if (bundles) goals.push(...bundleGoals(bundles));
  return goals;
}

export function markdown(
  pp: AwsSideResult,
  wk: AwsSideResult,
  bundles: BundlesResult | null,
  goals: Goal[],
  notes: { pushpool: string; worker: string },
): string {
  const ps = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.max)}`;
  const perInstant = (r: AwsSideResult) => r.instants.map((i) => fmt(i.runsPerSecond, 0)).join(", ");
  const rows: [string, string, string][] = [
    ["how it runs", notes.pushpool, notes.worker],
    [
      "runs submitted / scheduled",
      `${pp.dispatched} / ${pp.scheduled}`,
      `${wk.dispatched} / ${wk.scheduled}`,
    ],
    ["lead (s)", `${pp.leadSeconds} (pushpool ECS lead)`, `${wk.leadSeconds} (prefetch)`],
    ["**submission lateness p50 / p95 / max (s)**", ps(pp.lateness), ps(wk.lateness)],
    [
      "first → last RunTask of an instant, after scheduled − lead (s, per instant)",
      pp.instants.map((i) => `${fmt(i.firstRunTaskS, 1)}→${fmt(i.lastRunTaskS, 1)}`).join(", "),
      wk.instants.map((i) => `${fmt(i.firstRunTaskS, 1)}→${fmt(i.lastRunTaskS, 1)}`).join(", "),
    ],
    [
      "**runs dispatched per second** (median of instants; all instants) ¹",
      `${fmt(pp.runsPerSecond.medianOfInstants, 0)}; ${fmt(pp.runsPerSecond.allInstants, 0)} (${perInstant(pp)})`,
      `${fmt(wk.runsPerSecond.medianOfInstants, 1)}; ${fmt(wk.runsPerSecond.allInstants, 1)} (${perInstant(wk)})`,
    ],
    ["CPU seconds in the dispatch windows ²", fmt(pp.windowCpuSeconds, 2), fmt(wk.windowCpuSeconds, 2)],
    [
      "**runs per CPU-second** (dispatch windows) ²",
      fmt(pp.runsPerCpuSecond, 1),
      fmt(wk.runsPerCpuSecond, 1),
    ],
    ...(pp.withEventSource
      ? [
          [
            "runs per CPU-second (dispatch windows), the emulated SQS event source counted too ²",
            `${fmt(pp.withEventSource.runsPerCpuSecond, 1)} (${fmt(pp.withEventSource.windowCpuSeconds, 2)} CPU-s)`,
            "—",
          ] as [string, string, string],
        ]
      : []),
    [
      "runs per CPU-second over the whole period, idle polling included ³",
      `${fmt(pp.runsPerCpuSecondPeriod, 1)} (${fmt(pp.periodCpuSeconds, 1)} CPU-s)`,
      `${fmt(wk.runsPerCpuSecondPeriod, 1)} (${fmt(wk.periodCpuSeconds, 1)} CPU-s)`,
    ],
    [
      "**task-definition registrations** (distinct specs); revisions RunTask used",
      `${pp.registrations} (${pp.distinctSpecs}); ${Object.keys(pp.runTaskDefinitions).length}`,
      `${wk.registrations} (${wk.distinctSpecs}); ${Object.keys(wk.runTaskDefinitions).length}`,
    ],
    [
      "RunTask calls (runs with more than one)",
      `${pp.runTaskCalls} (${pp.runsWithMoreThanOneRunTask})`,
      `${wk.runTaskCalls} (${wk.runsWithMoreThanOneRunTask})`,
    ],
    ["ECS requests", callsOf(pp.ecsCalls), callsOf(wk.ecsCalls)],
  ];
  const lines = [
    "| metric | pushpool dispatch handler | Prefect ECS worker |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    "¹ per instant: its runs ÷ (last − first RunTask request time).",
    `² CPU (utime+stime from /proc, sampled every 250 ms) of each side's process tree in [scheduled − lead − 1.5 s, last RunTask + 3 s] of each instant. pushpool: ${pp.cpuNote} Worker: ${wk.cpuNote}`,
    "³ the same process trees from the first window's start to the last window's end, the other side's windows and the idle time between instants included.",
  ];
  if (pp.latenessInProcess)
    lines.push(
      `Cross-check: pushpool's lateness from its in-process RunTask call start: p50 ${fmt(pp.latenessInProcess.p50)} / p95 ${fmt(pp.latenessInProcess.p95)} s.`,
    );
  if (bundles) lines.push("", ...bundlesMarkdown(bundles));
  lines.push("", ...goalsMarkdown(goals));
  return lines.join("\n");
}

function callsOf(calls: Record<string, number>): string {
  return Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(", ");
}

/** Writes aws-<time>.json and, beside it, aws-<time>.svg: both sides' lateness CDFs (path printed). */
export function writeJson(
  result: { instants: readonly Instant[]; proxyCalls: Record<Side, readonly AwsCall[]> } & Record<
    string,
    unknown
  >,
  dir: string,
): string {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const file = join(dir, `aws-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const svg = file.replace(/\.json$/, ".svg");
  writeFileSync(svg, latenessSvg(result.instants, result.proxyCalls, now));
  process.stdout.write(`\nSVG: ${svg}\n`);
  return file;
}

/** The submission lateness of every submitted run (as in `sideResult`), both sides on one axis. */
export function latenessSvg(
  instants: readonly Instant[],
  calls: Record<Side, readonly AwsCall[]>,
  at: Date,
): string {
  const of = (side: Side) => {
    const times = runTaskTimes(calls[side]);
    return instants
      .filter((i) => i.side === side)
      .flatMap((i) =>
        i.runIds.flatMap((id) => {
          const t = times.get(id);
          return t ? [(t.at - i.open) / 1000] : [];
        }),
      );
  };
  return cdfSvg({
    title: "ECS submission lateness: pushpool dispatch handler vs Prefect ECS worker",
    unit: "s",
    xLabel: "submission lateness = first RunTask − (scheduled time − lead) (s)",
    zeroLabel: "scheduled − lead",
    series: [
      { name: "pushpool", values: of("pushpool") },
      { name: "Prefect ECS worker", values: of("worker") },
    ],
    note: `npm run bench:aws (bench/aws.bench.ts), ${at.toISOString().slice(0, 16)} UTC.`,
  });
}
