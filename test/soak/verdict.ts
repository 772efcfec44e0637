/**
 * The soak's census and invariants, and its table. A violation is a sentence naming what broke and
 * which runs/messages; the soak fails on any. An unfinished run is stuck only when it made no
 * progress for the bounded time after faults ended (./progress.ts); one still moving when the quiet
 * cap came is slow, and fails the soak with its history, as not reaching quiet does.
 */
import type { CanaryName } from "./capture.ts";
import {
  allRuns,
  allTasks,
  countBy,
  crashReasons,
  percentile,
  queueDepth,
  readAll,
  table,
  verdict,
} from "./census.ts";
import { diagnoseRun } from "./diagnose.ts";
import type { EngineStats } from "./engine.ts";
import type { SoakOptions } from "./harness.ts";
import type { MappingStats } from "./lambda.ts";
import { CRASH_RATES } from "./pipeline.ts";
import type { ProgressLog } from "./progress.ts";
import type { Proxies } from "./proxies.ts";
import { describeQuiet, type QuietReport } from "./quiet.ts";
import { type RequestKinds, requestRows } from "./requestKinds.ts";
import { unsettled } from "./settling.ts";
import type { World } from "./world.ts";

export interface SoakResult {
  table: string;
  /** State history, calls and log lines of suspicious runs. */
  diagnoses: string[];
  violations: string[];
  runs: number;
  canaryHits: { requests: Record<CanaryName, number>; logs: Record<CanaryName, number> };
  seconds: number;
}

export interface JudgeInput {
  o: SoakOptions;
  world: World;
  t0: number;
  quiet: QuietReport;
  progressLog: ProgressLog;
  requestKinds: RequestKinds;
  /** The chaos figures when faults ended (what came after is the drain, fault-free). */
  duringFaults: {
    prefect: { requests: number; faulted: number };
    ecs: { requests: number; faulted: number };
    crashes: MappingStats["crashes"];
    claims: number;
    submits: number;
    seconds: number;
  };
  created: string[];
  keys: string[];
  webhookFailures: string[];
  /** Webhook calls answered 5xx and retried by the caller. */
  webhookRetries: number;
  sent: { dispatch: number };
  dispatch: MappingStats;
  events: MappingStats;
  engine: EngineStats;
  proxies: Proxies;
  logLines: string[];
  canaryHits: SoakResult["canaryHits"];
  ticks: { count: number; failed: number };
}

/** Most Prefect writes one run may cause (claim, pid, labels, states, crash logs, retries of each). */
const WRITE_STORM = 30;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

const pct = (n: number, d: number) => `${d ? ((100 * n) / d).toFixed(1) : "0.0"} %`;
const faultsOf = (c: Record<string, number>) =>
  Object.entries(c)
    .filter(([k, n]) => k !== "passed" && n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(", ");

export async function judge(i: JudgeInput): Promise<SoakResult> {
  const { world, proxies } = i;
  const v: string[] = [];
  const runs = await allRuns(world);
  const tasks = await allTasks(world);
  const byId = new Map(runs.map((r) => [r.id, r]));
  const ids = (rs: typeof runs) => rs.map((r) => `${r.id} ${r.state_type}/${r.state_name}`).slice(0, 10);

  // Runs: none lost, none stuck, one per idempotency key.
  const missing = i.created.filter((id) => !byId.has(id));
  const perKey = countBy(runs, (r) => r.idempotency_key ?? null);
  const dead = {
    dispatch: await readAll(world, world.dispatchDlq),
    events: await readAll(world, world.eventsDlq),
  };
  const deadKeys = new Set(
    dead.dispatch.map((m) => {
      try {
        return String((JSON.parse(m.Body ?? "{}") as { idempotencyKey?: unknown }).idempotencyKey ?? "");
      } catch {
        return "";
      }
    }),
  );
  const webhookKeys = new Set(i.webhookFailures.map((f) => f.split(" ")[0]));
  const unmade = i.keys.filter((k) => !perKey.has(k));
  const deadLettered = unmade.filter((k) => deadKeys.has(k));
  const missingKeys = unmade.filter((k) => !deadKeys.has(k));
  const dupKeys = [...perKey].filter(([k, n]) => i.keys.includes(k) && n > 1);
  const lost = runs.filter((r) => verdict(r) === "lost");
  const { stuck, slow, histories } = await unsettled(world, runs, i.progressLog, i.quiet, i.t0);
  const stuckAfter = `${(i.quiet.stuckAfterMs / 1000).toFixed(0)} s`;
  const requested = i.created.length + i.keys.length;
  const made = i.created.length - missing.length + i.keys.length - unmade.length;
  const lostCount = missing.length + missingKeys.length + lost.length;
  // Requested, not created, and not dead-lettered with a reason: lost (a webhook caller that gave
  // up after its retries included — it was told, but the run does not exist).
  if (lostCount)
    v.push(
      `runs lost: ${[...missing, ...missingKeys.map((k) => (webhookKeys.has(k) ? `${k} (webhook refused)` : k)), ...ids(lost)].slice(0, 10).join("; ")}`,
    );
  // Every deployment of the soak exists: a dead-lettered trigger is a transient failure that
  // outlasted every delivery, not a genuine one.
  if (deadLettered.length)
    v.push(
      `triggers dead-lettered although their deployment exists: ${deadLettered.slice(0, 10).join(", ")}`,
    );
  if (stuck.length)
    v.push(`runs stuck (no progress for ${stuckAfter} after faults ended): ${ids(stuck).join("; ")}`);
  if (slow.length)
    v.push(`runs still settling when the quiet cap came (slow, not stuck): ${ids(slow).join("; ")}`);
  const rewound = runs.filter((r) => i.engine.completedRuns.has(r.id) && r.state_type !== "COMPLETED");
  if (rewound.length) v.push(`runs the flow completed that ended otherwise: ${ids(rewound).join("; ")}`);
  if (dupKeys.length) v.push(`several runs for one idempotency key: ${dupKeys.map(([k]) => k).join(", ")}`);
  if (!i.quiet.quiet) v.push(`the pipeline did not go quiet: ${describeQuiet(i.quiet)}`);

  // Tasks: at most one per claim, never two running for one run, the recorded pid is the run's task.
  const perToken = countBy(tasks, (t) => t.token);
  const dupTasks = [...perToken].filter(([, n]) => n > 1);
  const perRun = countBy(tasks, (t) => t.runId);
  const multi = [...perRun].filter(([, n]) => n > 1);
  if (dupTasks.length)
    v.push(`tasks duplicated within a claim: ${dupTasks.map(([t, n]) => `${t}×${n}`).join(", ")}`);
  if (i.engine.overlaps.length)
    v.push(`two RUNNING tasks for one run: ${i.engine.overlaps.slice(0, 5).join("; ")}`);
  const untagged = tasks.filter((t) => !t.token || !t.runId);
  if (untagged.length)
    v.push(`tasks without startedBy/claim token: ${untagged.map((t) => t.arn).join(", ")}`);
  const stillRunning = tasks.filter((t) => t.desiredStatus === "RUNNING");
  if (stillRunning.length) v.push(`tasks left running: ${stillRunning.length}`);
  const taskOf = new Map(tasks.map((t) => [t.arn, t]));
  const badPid = runs.filter((r) => {
    const pid = r.infrastructure_pid;
    return pid ? taskOf.get(pid.slice(pid.indexOf("::") + 2))?.runId !== r.id : false;
  });
  if (badPid.length) v.push(`pid names no task of the run: ${ids(badPid).join("; ")}`);

  // Messages: every one deleted after success or dead-lettered with a logged reason; none vanished.
  const accounts: Array<["dispatch" | "events", number, MappingStats]> = [
    ["dispatch", i.sent.dispatch, i.dispatch],
    ["events", i.engine.eventsSent, i.events],
  ];
  const queueRows: Array<[string, string]> = [];
  for (const [name, sent, stats] of accounts) {
    const dlq = dead[name];
    const left = await queueDepth(world, name === "dispatch" ? world.dispatch : world.events);
    const vanished = sent - stats.deleted.size - dlq.length - left;
    const unexplained = dlq.filter(
      (m) => !i.logLines.some((l) => l.includes(m.MessageId ?? "?") && /"reason"|InjectedCrash/.test(l)),
    );
    queueRows.push([
      `${name} queue`,
      `sent ${sent}, deliveries ${stats.deliveries} (redelivered ${stats.redeliveries}), deleted ${stats.deleted.size}, DLQ ${dlq.length}, left ${left}, vanished ${vanished}; ${stats.invocations} invocations, ${stats.coldStarts} cold starts, ${stats.batchItemFailures} item failures`,
    ]);
    if (vanished !== 0 || left !== 0)
      v.push(`${name}: ${vanished} message(s) vanished, ${left} left in the queue`);
    if (unexplained.length)
      v.push(
        `${name}: dead-lettered without a logged reason: ${unexplained.map((m) => m.MessageId).join(", ")}`,
      );
  }

  // Writes per run through the proxy.
  const runIds = new Set(runs.map((r) => r.id));
  const writes = countBy(
    proxies.prefect.events.filter((e) => e.method !== "GET" && !e.path.endsWith("/filter")),
    (e) => {
      const id = UUID.exec(e.path)?.[0];
      return id && runIds.has(id) ? id : null;
    },
  );
  const perRunWrites = runs.map((r) => writes.get(r.id) ?? 0);
  const maxWrites = Math.max(0, ...perRunWrites);
  if (maxWrites > WRITE_STORM)
    v.push(`write storm: a run got ${maxWrites} Prefect writes (> ${WRITE_STORM})`);

  // The chaos was real (while it lasted).
  const pf = proxies.prefect.stats();
  const ef = proxies.ecs.stats();
  const { prefect: pw, ecs: ew } = i.duringFaults;
  if (pw.faulted / pw.requests < 0.05) v.push(`Prefect faults only ${pct(pw.faulted, pw.requests)}`);
  if (ew.faulted / ew.requests < 0.05) v.push(`ECS faults only ${pct(ew.faulted, ew.requests)}`);
  const crashes = i.dispatch.crashes;
  const crashTotal = crashes.afterClaim + crashes.afterSubmit + crashes.midBatch;
  const claims = i.dispatch.hooks.afterClaim;
  const claimsInFaults = i.duringFaults.claims;
  // Each step crashes once per block of 1 ÷ rate calls (stratified draws): at least the whole
  // blocks' worth, or the injection did not happen as configured.
  for (const step of ["afterClaim", "afterSubmit"] as const) {
    const calls = step === "afterClaim" ? claimsInFaults : i.duringFaults.submits;
    const least = Math.floor(calls * CRASH_RATES[step]);
    if (crashes[step] < least)
      v.push(`only ${crashes[step]} crashes ${step} for ${calls} calls while faults lasted (< ${least})`);
  }
  for (const where of ["requests", "logs"] as const)
    for (const [name, n] of Object.entries(i.canaryHits[where]))
      if (n > 0) v.push(`secret ${name} found ${n} time(s) in ${where}`);

  const settled = runs
    .filter((r) => verdict(r) === "ok" && r.state?.timestamp)
    .map((r) => {
      const from = Math.max(Date.parse(r.expected_start_time ?? ""), Date.parse(r.created ?? "")) || 0;
      return (Date.parse(r.state?.timestamp ?? "") - from) / 1000;
    });
  const states = [...countBy(runs, (r) => r.state_type ?? "?")].map(([s, n]) => `${s} ${n}`).join(", ");
  const skipped = i.logLines.filter((l) => l.includes('"dispatch skipped"')).length;
  const seconds = (Date.now() - i.t0) / 1000;
  const rows: Array<readonly [string, string | number]> = [
    [
      "runs requested",
      `${requested} (${i.created.length} through the API, found by the tick; ${i.keys.filter((k) => k.startsWith("soak-trigger-")).length} trigger messages; ${i.keys.filter((k) => k.startsWith("soak-webhook-")).length} webhook calls)`,
    ],
    ["runs created", `${made} of ${requested} (${states})`],
    [
      "faults injected",
      `until +${i.duringFaults.seconds.toFixed(0)} s (${i.o.faultTailSeconds ?? 60} s after the last run was requested or due); none after, and no new runs requested`,
    ],
    [
      "Prefect requests via proxy",
      `${pf.requests}, faulted ${pf.faulted} (${pct(pw.faulted, pw.requests)} of the ${pw.requests} while faults lasted)`,
    ],
    ["  faults by kind", faultsOf(proxies.prefect.counters)],
    [
      "ECS/EC2 requests via proxy",
      `${ef.requests}, faulted ${ef.faulted} (${pct(ew.faulted, ew.requests)} of the ${ew.requests} while faults lasted)`,
    ],
    ["  faults by kind", faultsOf(proxies.ecs.counters)],
    [
      "  RunTask ambiguous failures (looked first)",
      countLines(i.logLines, "retrying RunTask", '"lookFirst":true'),
    ],
    [
      "  claim's task adopted, not restarted",
      `after an ambiguous failure ${countLines(i.logLines, "Found the ECS task of this claim", "ambiguous")}, on a resumed claim ${countLines(i.logLines, "Found the ECS task of this claim", "resumed")}`,
    ],
    [
      "dispatcher crashes",
      `after claim ${crashes.afterClaim}, after submit ${crashes.afterSubmit}, mid-batch ${crashes.midBatch} (${crashTotal} for ${claimsInFaults} claims while faults lasted; ${claims} claims, ${i.dispatch.hooks.afterSubmit} submits in all)`,
    ],
    ...queueRows,
    ["duplicate deliveries absorbed (skipped)", skipped],
    ["ticks", `${i.ticks.count} (with an error logged: ${i.ticks.failed})`],
    [
      "tasks started",
      `${tasks.length} (runs with > 1 task: ${multi.length}; orphans stopped: ${i.engine.orphans})`,
    ],
    ["crash reasons", crashReasons(runs) || "-"],
    ["flow outcomes (engine)", `completed ${i.engine.completed}, failed exit 1 ${i.engine.failed}`],
    [
      "Prefect requests per run",
      `${(pf.requests / Math.max(1, runs.length)).toFixed(1)} (all pushpool's requests ÷ runs); writes naming a run: p50 ${percentile(perRunWrites, 50)}, p95 ${percentile(perRunWrites, 95)}, max ${maxWrites}`,
    ],
    ...requestRows(i.requestKinds, runs.length, i.logLines),
    [
      "time to settled",
      `p50 ${percentile(settled, 50).toFixed(1)} s, p95 ${percentile(settled, 95).toFixed(1)} s`,
    ],
    [
      "triggers dead-lettered / webhook calls refused",
      `${deadLettered.length} / ${i.webhookFailures.length} (triggers re-queued while Prefect was busy: ${countLines(i.logLines, "trigger deferred", "")}; webhook answers 5xx retried by the caller: ${i.webhookRetries}; ${[...new Set(i.webhookFailures.map((f) => f.slice(f.indexOf(" ") + 1, f.indexOf(" ") + 60)))].join("; ") || "-"})`,
    ],
    ["runs lost", lostCount],
    ["waited for quiet", describeQuiet(i.quiet)],
    [`runs stuck (no progress for ${stuckAfter} after faults ended)`, stuck.length],
    ["runs slow (still progressing at the cap)", slow.length],
    ["tasks duplicated", dupTasks.length + i.engine.overlaps.length],
    ["canary hits (requests / logs)", `${sum(i.canaryHits.requests)} / ${sum(i.canaryHits.logs)}`],
    ["verdict", v.length ? `FAIL (${v.length})` : "PASS"],
  ];
  const diagnoses: string[] = [];
  const dupTokens = new Set(dupTasks.map(([t]) => t));
  for (const r of [...stuck, ...slow].slice(0, 5)) diagnoses.push((histories.get(r.id) ?? []).join("\n"));
  const suspects = [
    ...[...rewound, ...stuck, ...slow, ...lost, ...badPid].map((r) => r.id),
    ...tasks.filter((t) => t.token && dupTokens.has(t.token) && t.runId).map((t) => t.runId as string),
  ];
  if (process.env.SOAK_DIAG)
    suspects.push(...runs.filter((r) => r.state_type === "CRASHED").map((r) => r.id));
  for (const id of [...new Set(suspects)].slice(0, Number(process.env.SOAK_DIAG ?? 5)))
    diagnoses.push(await diagnoseRun(world, id, proxies.prefect.events, i.logLines));
  return {
    diagnoses,
    table: table(`soak — seed ${i.o.seed}, ${i.o.runs} runs, ${seconds.toFixed(0)} s`, rows),
    violations: v,
    runs: runs.length,
    canaryHits: i.canaryHits,
    seconds,
  };
}

/** Log lines of `message` that also contain `also`. */
function countLines(lines: readonly string[], message: string, also: string): number {
  return lines.filter((l) => l.includes(`"${message}`) && l.includes(also)).length;
}

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
