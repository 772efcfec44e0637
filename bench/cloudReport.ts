/**
 * @module
 * The results of `npm run bench:gcp` / `npm run bench:azure`: per side, the same figures as the AWS
 * bench's (bench/awsReport.ts `sideResult`, fed with each side's submission calls — RunJob, the
 * deployment PUT — in place of RunTask), the goals, one markdown report, and the JSON + SVG (both
 * sides' lateness CDFs on one axis) in bench/results/.
 *
 * Definitions (as bench/awsReport.ts): submission lateness = submission time − (scheduled − lead),
 * lead = pushpool's backend lead or the worker's prefetch; dispatch window of an instant =
 * [min(scheduled − lead, first submission) − 1.5 s, last submission + 3 s]; runs per CPU-second =
 * runs ÷ the CPU seconds the side's process tree spent in its windows.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AwsCall } from "./awsProxy.ts";
import { type AwsSideResult, type Goal, type Instant, runTaskTimes } from "./awsReport.ts";
import type { Side } from "./plan.ts";
import { fmt, quantile, type Summary } from "./stats.ts";
import { cdfSvg } from "./svg.ts";

export interface Submission {
  flowRunId: string;
  at: number;
}

/** A side's submissions as the calls `sideResult` reads (op `RunTask` = the submission call). */
export function asCalls(submissions: readonly Submission[]): AwsCall[] {
  return submissions.map((s) => ({
    op: "RunTask",
    at: s.at,
    end: s.at,
    status: 200,
    flowRunId: s.flowRunId,
  }));
}

export type CloudSideResult = Omit<
  AwsSideResult,
  "registrations" | "registeredRevisions" | "runTaskDefinitions" | "distinctSpecs" | "ecsCalls"
> & { cloudCalls: Record<string, number> };

/** Drops the ECS-only fields of a `sideResult` and adds the side's cloud requests. */
export function cloudSide(r: AwsSideResult, cloudCalls: Record<string, number>): CloudSideResult {
  const {
    registrations: _r,
    registeredRevisions: _v,
    runTaskDefinitions: _t,
    distinctSpecs: _d,
    ecsCalls: _e,
    ...rest
  } = r;
  return { ...rest, cloudCalls };
}

export function cloudGoals(pp: CloudSideResult, wk: CloudSideResult): Goal[] {
  const ppP95 = pp.lateness.p95;
  const wkP95 = wk.lateness.p95;
  const ratio = ppP95 !== null && wkP95 !== null && ppP95 > 0 ? wkP95 / ppP95 : null;
  const cpuRatio =
    pp.runsPerCpuSecond !== null && wk.runsPerCpuSecond !== null && wk.runsPerCpuSecond > 0
      ? pp.runsPerCpuSecond / wk.runsPerCpuSecond
      : null;
  return [
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
      target: "≥ 5×",
      measured: cpuRatio !== null ? `${fmt(cpuRatio, 1)}×` : "–",
      met: cpuRatio !== null && cpuRatio >= 5,
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
}

export interface CloudLabels {
  /** The submission call, e.g. `RunJob`. */
  submit: string;
  /** The cloud API whose requests are counted, e.g. `Cloud Run`. */
  api: string;
  pushpool: string;
  worker: string;
}

export function cloudMarkdown(
  pp: CloudSideResult,
  wk: CloudSideResult,
  goals: Goal[],
  l: CloudLabels,
): string {
  const ps = (s: Summary) => `${fmt(s.p50)} / ${fmt(s.p95)} / ${fmt(s.max)}`;
  const span = (r: CloudSideResult) =>
    r.instants.map((i) => `${fmt(i.firstRunTaskS, 1)}→${fmt(i.lastRunTaskS, 1)}`).join(", ");
  const perInstant = (r: CloudSideResult) => r.instants.map((i) => fmt(i.runsPerSecond, 1)).join(", ");
  const calls = (c: Record<string, number>) =>
    Object.entries(c)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(", ");
  const rows: [string, string, string][] = [
    ["how it runs", l.pushpool, l.worker],
    [
      "runs submitted / scheduled",
      `${pp.dispatched} / ${pp.scheduled}`,
      `${wk.dispatched} / ${wk.scheduled}`,
    ],
    ["lead (s)", `${pp.leadSeconds} (pushpool's backend lead)`, `${wk.leadSeconds} (prefetch)`],
    ["**submission lateness p50 / p95 / max (s)**", ps(pp.lateness), ps(wk.lateness)],
    [`first → last ${l.submit} of an instant, after scheduled − lead (s, per instant)`, span(pp), span(wk)],
    [
      "runs submitted per second (median of instants; all instants) ¹",
      `${fmt(pp.runsPerSecond.medianOfInstants, 1)}; ${fmt(pp.runsPerSecond.allInstants, 1)} (${perInstant(pp)})`,
      `${fmt(wk.runsPerSecond.medianOfInstants, 1)}; ${fmt(wk.runsPerSecond.allInstants, 1)} (${perInstant(wk)})`,
    ],
    ["CPU seconds in the dispatch windows ²", fmt(pp.windowCpuSeconds, 2), fmt(wk.windowCpuSeconds, 2)],
    [
      "**runs per CPU-second** (dispatch windows) ²",
      fmt(pp.runsPerCpuSecond, 1),
      fmt(wk.runsPerCpuSecond, 1),
    ],
    [
      "runs per CPU-second over the whole period, idle time included ³",
      `${fmt(pp.runsPerCpuSecondPeriod, 1)} (${fmt(pp.periodCpuSeconds, 1)} CPU-s)`,
      `${fmt(wk.runsPerCpuSecondPeriod, 1)} (${fmt(wk.periodCpuSeconds, 1)} CPU-s)`,
    ],
    [
      `${l.submit} calls (runs with more than one)`,
      `${pp.runTaskCalls} (${pp.runsWithMoreThanOneRunTask})`,
      `${wk.runTaskCalls} (${wk.runsWithMoreThanOneRunTask})`,
    ],
    [`${l.api} requests`, calls(pp.cloudCalls), calls(wk.cloudCalls)],
  ];
  return [
    "| metric | pushpool | Prefect worker |",
    "|---|---:|---:|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    `¹ per instant: its runs ÷ (last − first ${l.submit} time).`,
    `² CPU (utime+stime from /proc, sampled every 250 ms) in [scheduled − lead − 1.5 s, last ${l.submit} + 3 s] of each instant. pushpool: ${pp.cpuNote} Worker: ${wk.cpuNote}`,
    "³ the same processes from the first window's start to the last window's end, the other side's windows and the idle time between instants included.",
    "",
    "| goal | target | measured | met |",
    "|---|---|---|---|",
    ...goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? "yes" : "**NO**"} |`),
  ].join("\n");
}

/** Writes `<cloud>-<time>.json` and, beside it, the lateness CDF `<cloud>-<time>.svg`; returns both paths. */
export function writeCloudResults(o: {
  cloud: string;
  dir: string;
  title: string;
  workerName: string;
  instants: readonly Instant[];
  submissions: Record<Side, readonly Submission[]>;
  result: Record<string, unknown>;
}): { json: string; svg: string } {
  mkdirSync(o.dir, { recursive: true });
  const now = new Date();
  const json = join(o.dir, `${o.cloud}-${now.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(json, `${JSON.stringify(o.result, null, 2)}\n`);
  const of = (side: Side) => {
    const times = runTaskTimes(asCalls(o.submissions[side]));
    return o.instants
      .filter((i) => i.side === side)
      .flatMap((i) =>
        i.runIds.flatMap((id) => {
          const t = times.get(id);
          return t ? [(t.at - i.open) / 1000] : [];
        }),
      );
  };
  const svg = json.replace(/\.json$/, ".svg");
  writeFileSync(
    svg,
    cdfSvg({
      title: o.title,
      unit: "s",
      xLabel: "submission lateness = submission − (scheduled time − lead) (s)",
      zeroLabel: "scheduled − lead",
      series: [
        { name: "pushpool", values: of("pushpool") },
        { name: o.workerName, values: of("worker") },
      ],
      note: `npm run bench:${o.cloud} (bench/${o.cloud}.bench.ts), ${now.toISOString().slice(0, 16)} UTC.`,
    }),
  );
  return { json, svg };
}

/** The function's Prefect requests by endpoint: `GET /flow_runs/:id ×120 (median / p95 ms)`; … */
export function prefectTripsLine(trips: readonly { method: string; path: string; ms: number }[]): string {
  const by = new Map<string, number[]>();
  for (const t of trips) by.set(`${t.method} ${t.path}`, [...(by.get(`${t.method} ${t.path}`) ?? []), t.ms]);
  const ms = (v: number | null) => (v === null ? "–" : v.toFixed(0));
  return [...by.entries()]
    .sort((a, b) => b[1].length - a[1].length)
    .map(([k, v]) => `${k} ×${v.length} (${ms(quantile(v, 0.5))} / ${ms(quantile(v, 0.95))})`)
    .join("; ");
}
