/**
 * @module
 * Turns what `npm run bench:burst` recorded into per-side figures, goals, a markdown table and the
 * files in bench/results/ (burst-<time>.json, -timeline.svg, -lateness.svg).
 *
 * Definitions (seconds), as bench/awsReport.ts's:
 * - RunTask time: when the run's first ECS RunTask request reached the side's recording proxy;
 * - submission lateness = RunTask time − (scheduled time − lead), lead = pushpool's ECS lead or the
 *   worker's prefetch (10 s); "from the scheduled second" = RunTask time − scheduled time;
 * - burst window = [start − 1.5 s, last RunTask + 3 s], start = the earlier of scheduled − lead and
 *   the first RunTask (pushpool: and the first tick that enqueued the burst). CPU and Prefect
 *   requests per run are counted in that window and divided by the burst's runs;
 * - duplicates: runs with more than one ECS task on moto (ListTasks + DescribeTasks, by the
 *   PREFECT__FLOW_RUN_ID override), whatever the proxy saw.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Side } from "./plan.ts";
import { fmt, type Summary, summarize } from "./stats.ts";
import { cdfSvg, timelineSvg } from "./svg.ts";

export interface PrefectRequest {
  method: string;
  path: string;
  /** Epoch ms. */
  at: number;
}

export interface BurstSideInput {
  side: Side;
  how: string;
  leadSeconds: number;
  /** Epoch ms the burst's runs are scheduled for. */
  scheduled: number;
  runIds: string[];
  /** How long the bench waited after scheduled − lead. */
  settleSeconds: number;
  /** First RunTask (proxy) per run, epoch ms. */
  runTaskAt: Map<string, number>;
  /** ECS tasks per run on moto. */
  tasks: Map<string, number>;
  runTaskCalls: number;
  /** Successful RegisterTaskDefinition calls (proxy), epoch ms. */
  registrations: number[];
  requests: PrefectRequest[];
  /** Epoch ms the side's work on the burst may start before its window (pushpool: enqueuing tick). */
  startedAt?: number;
  cpu: { server(from: number, to: number): number | null; database(from: number, to: number): number | null };
  ownCpu(from: number, to: number): number | null;
}

export interface BurstSideResult {
  side: Side;
  how: string;
  leadSeconds: number;
  scheduled: string;
  runs: number;
  submitted: number;
  settleSeconds: number;
  lateness: Summary;
  fromScheduled: Summary;
  /** Seconds from the first to the last RunTask. */
  spanSeconds: number | null;
  duplicates: number;
  missingOnMoto: number;
  runTaskCalls: number;
  registrations: number;
  /** Seconds from the first registration to the first RunTask (negative: registered before). */
  registrationBeforeFirstRunTaskS: number | null;
  window: { from: string; to: string; seconds: number } | null;
  serverCpuSeconds: number | null;
  databaseCpuSeconds: number | null;
  ownCpuSeconds: number | null;
  requests: number;
  requestsByKind: Record<string, number>;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

const ids = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export function burstSide(o: BurstSideInput): BurstSideResult {
  const open = o.scheduled - o.leadSeconds * 1000;
  const at = o.runIds.flatMap((id) => {
    const t = o.runTaskAt.get(id);
    return t === undefined ? [] : [t];
  });
  const first = at.length ? Math.min(...at) : null;
  const last = at.length ? Math.max(...at) : null;
  const from = Math.min(open, first ?? open, o.startedAt ?? open) - 1500;
  const to = last === null ? null : last + 3000;
  const inWindow = to === null ? [] : o.requests.filter((r) => r.at >= from && r.at <= to);
  const byKind: Record<string, number> = {};
  for (const r of inWindow) {
    const key = `${r.method} ${r.path.replace(ids, "{id}").replace(/\?.*$/, "")}`;
    byKind[key] = (byKind[key] ?? 0) + 1;
  }
  const firstReg = o.registrations.length ? Math.min(...o.registrations) : null;
  return {
    side: o.side,
    how: o.how,
    leadSeconds: o.leadSeconds,
    scheduled: new Date(o.scheduled).toISOString(),
    runs: o.runIds.length,
    submitted: at.length,
    settleSeconds: o.settleSeconds,
    lateness: summarize(at.map((t) => (t - open) / 1000)),
    fromScheduled: summarize(at.map((t) => (t - o.scheduled) / 1000)),
    spanSeconds: first !== null && last !== null ? (last - first) / 1000 : null,
    duplicates: o.runIds.filter((id) => (o.tasks.get(id) ?? 0) > 1).length,
    missingOnMoto: o.runIds.filter((id) => !o.tasks.get(id)).length,
    runTaskCalls: o.runTaskCalls,
    registrations: o.registrations.length,
    registrationBeforeFirstRunTaskS: firstReg !== null && first !== null ? (firstReg - first) / 1000 : null,
    window:
      to === null
        ? null
        : { from: new Date(from).toISOString(), to: new Date(to).toISOString(), seconds: (to - from) / 1000 },
    serverCpuSeconds: to === null ? null : o.cpu.server(from, to),
    databaseCpuSeconds: to === null ? null : o.cpu.database(from, to),
    ownCpuSeconds: to === null ? null : o.ownCpu(from, to),
    requests: inWindow.length,
    requestsByKind: Object.fromEntries(Object.entries(byKind).sort((a, b) => b[1] - a[1])),
  };
}

export function burstGoals(pp: BurstSideResult): Goal[] {
  return [
    {
      goal: "every run submitted",
      target: `${pp.runs}`,
      measured: `${pp.submitted}`,
      met: pp.submitted === pp.runs,
    },
    {
      goal: "submission lateness p95",
      target: "≤ 0 s",
      measured: `${fmt(pp.lateness.p95)} s`,
      met: pp.lateness.p95 !== null && pp.lateness.p95 <= 0,
    },
    {
      goal: "submission lateness max",
      target: "≤ 5 s",
      measured: `${fmt(pp.lateness.max)} s`,
      met: pp.lateness.max !== null && pp.lateness.max <= 5,
    },
    {
      goal: "duplicates (runs with > 1 ECS task on moto)",
      target: "0",
      measured: `${pp.duplicates}`,
      met: pp.duplicates === 0 && pp.missingOnMoto === 0,
    },
    {
      goal: "task-definition registrations",
      target: "1",
      measured: `${pp.registrations}`,
      met: pp.registrations === 1,
    },
  ];
}

const perRun = (v: number | null, runs: number, scale = 1000, d = 1) =>
  v === null || runs === 0 ? "–" : fmt((v * scale) / runs, d);

export function burstMarkdown(pp: BurstSideResult, wk: BurstSideResult, goals: Goal[]): string {
  const ps = (s: Summary) => `${fmt(s.p50, 1)} / ${fmt(s.p95, 1)} / ${fmt(s.max, 1)}`;
  const kinds = (r: BurstSideResult) =>
    Object.entries(r.requestsByKind)
      .slice(0, 8)
      .map(([k, n]) => `${k} ${fmt(n / Math.max(1, r.submitted), 2)}`)
      .join("; ");
  const row = (name: string, f: (r: BurstSideResult) => string) => `| ${name} | ${f(pp)} | ${f(wk)} |`;
  return [
    "| metric | pushpool | Prefect ECS worker |",
    "|---|---:|---:|",
    row("how it runs", (r) => r.how),
    row("runs submitted / scheduled", (r) => `${r.submitted} / ${r.runs}`),
    row("lead (s)", (r) => `${r.leadSeconds}`),
    row("**submission lateness p50 / p95 / max (s)**", (r) => ps(r.lateness)),
    row("RunTask − scheduled time, p50 / p95 / max (s)", (r) => ps(r.fromScheduled)),
    row("**last run submitted, from the scheduled second (s)**; first → last RunTask (s)", (r) =>
      r.submitted < r.runs
        ? `not all: ${r.submitted} of ${r.runs} by ${fmt(r.settleSeconds, 0)} s after scheduled − lead`
        : `${fmt(r.fromScheduled.max, 1)}; ${fmt(r.spanSeconds, 1)}`,
    ),
    row(
      "duplicates (runs with > 1 task on moto); runs without a task",
      (r) => `${r.duplicates}; ${r.missingOnMoto}`,
    ),
    row("RunTask calls", (r) => `${r.runTaskCalls}`),
    row(
      "task-definition registrations (first one, s from the first RunTask)",
      (r) => `${r.registrations} (${fmt(r.registrationBeforeFirstRunTaskS, 1)})`,
    ),
    row("burst window (s) ¹", (r) => fmt(r.window?.seconds ?? null, 1)),
    row("**Prefect server CPU per run (ms)** ²", (r) => perRun(r.serverCpuSeconds, r.submitted)),
    row("PostgreSQL CPU per run (ms) ²", (r) => perRun(r.databaseCpuSeconds, r.submitted)),
    row("the side's own CPU per run (ms) ³", (r) => perRun(r.ownCpuSeconds, r.submitted)),
    row("**Prefect requests per run**", (r) => perRun(r.requests, r.submitted, 1, 2)),
    row("Prefect requests per run, by kind (top 8)", kinds),
    "",
    "¹ [the earlier of scheduled − lead, the first RunTask and (pushpool) the tick that enqueued the burst, − 1.5 s; last RunTask + 3 s].",
    "² utime+stime from /proc (sampled every 250 ms) of the `prefect server start` process tree / the PostgreSQL postmaster and its backends, in the side's burst window, ÷ runs submitted.",
    "³ pushpool: the dispatch handler's process (emulated Lambda instances) and its emulated SQS event source; the tick is not counted. Worker: the `prefect worker` process tree.",
    "",
    "| goal (pushpool) | target | measured | met |",
    "|---|---|---|---|",
    ...goals.map((g) => `| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? "yes" : "**NO**"} |`),
  ].join("\n");
}

/** Writes burst-<time>.json and, beside it, the timeline and lateness-CDF SVGs; returns the paths. */
export function writeBurstFiles(
  result: Record<string, unknown>,
  series: Record<Side, { scheduled: number; open: number; at: number[] }>,
  dir: string,
): { json: string; timeline: string; lateness: string } {
  mkdirSync(dir, { recursive: true });
  const now = new Date();
  const json = join(dir, `burst-${now.toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
  const note = `npm run bench:burst (bench/burst.bench.ts), ${now.toISOString().slice(0, 16)} UTC.`;
  const names: Record<Side, string> = { pushpool: "pushpool", worker: "Prefect ECS worker" };
  const sides: Side[] = ["pushpool", "worker"];
  const timeline = json.replace(/\.json$/, "-timeline.svg");
  writeFileSync(
    timeline,
    timelineSvg({
      title: `A burst of ${series.pushpool.at.length} runs due at one second: ECS submissions over time`,
      series: sides.map((s) => ({
        name: names[s],
        times: series[s].at.map((t) => (t - series[s].scheduled) / 1000),
      })),
      xLabel: "first RunTask − scheduled time (s)",
      note,
    }),
  );
  const lateness = json.replace(/\.json$/, "-lateness.svg");
  writeFileSync(
    lateness,
    cdfSvg({
      title: "Burst: ECS submission lateness, pushpool vs Prefect ECS worker",
      unit: "s",
      xLabel: "submission lateness = first RunTask − (scheduled time − lead) (s)",
      zeroLabel: "scheduled − lead",
      series: sides.map((s) => ({
        name: names[s],
        values: series[s].at.map((t) => (t - series[s].open) / 1000),
      })),
      note,
    }),
  );
  return { json, timeline, lateness };
}
