/**
 * @module
 * The method `npm run bench:gcp` and `npm run bench:azure` share (bench/aws.bench.ts's, on a fake
 * cloud): ONE real Prefect server, two pools of the cloud's type from the server's default template
 * with one deployment each (the same job variables), each side on its own instance of the same fake.
 *
 * - pushpool: core's tick runs in this process every 60 s (Cloud Scheduler's cadence), its phase
 *   `tickBeforeSeconds` before each pushpool window, and enqueues on an in-process delayed queue
 *   (bench/cloudHarness.ts) that pushes each due message to ONE function process
 *   (bench/cloudDispatcher.ts: core's handleMessage over the cloud's real SDK adapter);
 * - Prefect's worker (`prefect worker start --type <type>`), default settings (poll 10 s,
 *   prefetch 10 s), pointed at its fake by the world (bench/gcpWorld.ts, bench/azureWorld.ts).
 * Each side gets `instants` × `runsPerInstant` runs, all runs of an instant due at one second, all
 * created up front; the worker's windows `workerOffsetSeconds` after pushpool's, so the two sides'
 * bursts do not share the 2 CPUs. CPU of each side's process tree is sampled from /proc.
 * Prints a markdown report on stdout (progress on stderr), writes bench/results/<cloud>-<time>.{json,svg},
 * and returns 1 when a goal is missed (2 is the caller's for a failed bench).
 *
 * Settings (prefix = BENCH_GCP / BENCH_AZURE): <prefix>_INSTANTS (4), _RUNS_PER_INSTANT (30),
 * _INTERVAL_SECONDS (60), _WORKER_OFFSET_SECONDS (30), _AHEAD_SECONDS (60 + 0.4 s per run),
 * _TICK_BEFORE_SECONDS (50), _RUN_SECONDS (20: how long each container "runs" on the fake),
 * _SETTLE_SECONDS (120), _KEEP (set: keep the temporary home and its logs).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import type { JsonObject } from "../core/prefect/types.ts";
import { tick } from "../core/runs/tick.ts";
import { tickOptions } from "../core/runtime/buildDeps.ts";
import { peerDatabase } from "../functions/local/postgresServer.ts";
import { REPO_ROOT, startPrefectServer, VENV_BIN } from "../functions/local/prefectServer.ts";
import { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";
import { cpuBetween, sampleCpu } from "./awsCpu.ts";
import { createRuns, sleep, tailOf } from "./awsHarness.ts";
import { sideResult } from "./awsReport.ts";
import { startCloudDispatcher } from "./cloudHarness.ts";
import { planInstants, readConfig } from "./cloudPlan.ts";
import {
  asCalls,
  type CloudLabels,
  cloudGoals,
  cloudMarkdown,
  cloudSide,
  prefectTripsLine,
  type Submission,
  writeCloudResults,
} from "./cloudReport.ts";
import { type CloudTarget, cloudDeps, stderrLogger } from "./cloudRuntime.ts";
import type { Side } from "./plan.ts";

import { startPrefectWorker, type WorkerProcess } from "./workerProcess.ts";

const WORKER_PREFETCH_SECONDS = 10;
const TICK_SECONDS = 60;

export interface CloudWorld {
  /** Where pushpool's backend finds its fake. */
  target: CloudTarget;
  jobVariables: JsonObject;
  /** Added to Prefect's worker's environment. */
  workerEnv: Record<string, string>;
  submissions(side: Side): Submission[];
  calls(side: Side): Record<string, number>;
  /** What the setup line says about the fakes. */
  describe: string;
  stop(): Promise<void>;
}

export interface CloudBenchSpec {
  cloud: "gcp" | "azure";
  prefix: string;
  /** The pool (and worker) type. */
  poolType: string;
  leadSeconds: number;
  /** The longest delay the cloud's queue honours. */
  maxDelaySeconds: number;
  labels: CloudLabels & { title: string; workerName: string };
  startWorld(o: { home: string; runSeconds: number }): Promise<CloudWorld>;
}

export async function runCloudBench(spec: CloudBenchSpec): Promise<number> {
  const log = (s: string) =>
    process.stderr.write(`[bench:${spec.cloud} ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
  const cfg = readConfig(spec.prefix, process.env);
  const home = mkdtempSync(join(tmpdir(), `pushpool-bench-${spec.cloud}-`));
  const pools: Record<Side, string> = {
    pushpool: `bench-${spec.cloud}-pushpool`,
    worker: `bench-${spec.cloud}-worker`,
  };
  log(`starting the Prefect server and the fake cloud…`);
  const server = await startPrefectServer({ database: peerDatabase() });
  let world: CloudWorld | undefined;
  let worker: WorkerProcess | undefined;
  let child: Awaited<ReturnType<typeof startCloudDispatcher>> | undefined;
  try {
    const fakes = await spec.startWorld({ home, runSeconds: cfg.runSeconds });
    world = fakes;
    const admin = new PrefectAdmin(server.apiUrl);
    const template = (await admin.client.readDefaultBaseJobTemplate(spec.poolType)) as JsonObject | null;
    if (!template) throw new Error(`the Prefect server has no default template for '${spec.poolType}'`);
    const deployments: Record<Side, string> = { pushpool: "", worker: "" };
    for (const side of ["pushpool", "worker"] as const) {
      const pool = await admin.createWorkPool({
        name: pools[side],
        type: spec.poolType,
        base_job_template: template,
      });
      const d = await admin.createDeployment({
        name: `${pool.name}-deployment`,
        work_pool_name: pool.name,
        job_variables: fakes.jobVariables,
      });
      deployments[side] = d.id;
    }
    const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? home, LANG: "C.UTF-8" };
    log(`starting \`prefect worker start --type ${spec.poolType}\` (default settings)…`);
    worker = await startPrefectWorker(spec.poolType, {
      pool: pools.worker,
      apiUrl: server.apiUrl,
      logFile: join(home, "worker.log"),
      env: {
        ...base,
        PATH: `${VENV_BIN}:${base.PATH}`,
        PREFECT_HOME: join(home, "worker-prefect-home"),
        PREFECT_API_URL: server.apiUrl,
        ...fakes.workerEnv,
      },
    });
    const handlerEnv: Record<string, string> = {
      ...base,
      PREFECT_API_URL: server.apiUrl,
      PUSHPOOL_POOLS: pools.pushpool,
      PUSHPOOL_TICK_SECONDS: String(TICK_SECONDS),
      ...(process.env.PUSHPOOL_LEAD_SECONDS
        ? { PUSHPOOL_LEAD_SECONDS: process.env.PUSHPOOL_LEAD_SECONDS }
        : {}),
    };
    log("starting pushpool's function process…");
    const spawned = await startCloudDispatcher({
      target: fakes.target,
      env: handlerEnv,
      logFile: join(home, "dispatcher.log"),
      maxDelaySeconds: spec.maxDelaySeconds,
    });
    child = spawned;
    const tickRt = await cloudDeps({
      target: fakes.target,
      env: handlerEnv,
      queue: spawned.queue,
      logger: stderrLogger("tick"),
    });

    const created0 = Date.now();
    const t0 = Math.ceil((created0 + cfg.aheadSeconds * 1000) / 1000) * 1000;
    const instants = planInstants(cfg, t0, spec.leadSeconds, WORKER_PREFETCH_SECONDS);
    log(`creating ${2 * cfg.instants * cfg.runsPerInstant} scheduled runs…`);
    const jobs = instants.flatMap((instant) =>
      Array.from({ length: cfg.runsPerInstant }, (_, i) => ({ instant, i })),
    );
    await createRuns(
      admin,
      jobs,
      3,
      ({ instant, i }) => {
        const name = `${instant.side === "pushpool" ? "pp" : "wk"}-i${instant.index}-${String(i).padStart(3, "0")}`;
        return {
          deploymentId: deployments[instant.side],
          name,
          key: `bench-${spec.cloud}-${t0}-${name}`,
          scheduled: new Date(instant.scheduled),
        };
      },
      ({ instant }, run) => instant.runIds.push(run.id),
    );
    const firstTick = t0 - cfg.tickBeforeSeconds * 1000;
    log(
      `runs created in ${((Date.now() - created0) / 1000).toFixed(1)} s; first tick in ${Math.round((firstTick - Date.now()) / 1000)} s`,
    );
    if (Date.now() > firstTick - 1000)
      throw new Error(`creating the runs took longer than planned: raise ${spec.prefix}_AHEAD_SECONDS`);

    const samplers = { pushpool: sampleCpu(spawned.pid), worker: sampleCpu(worker.pid) };
    const load0 = loadavg()[0]?.toFixed(2);
    const lastPpOpen = Math.max(...instants.filter((i) => i.side === "pushpool").map((i) => i.open));
    const ticks: { at: string; ms: number; cpuMs: number; enqueued: number }[] = [];
    for (let at = firstTick; at <= lastPpOpen; at += TICK_SECONDS * 1000) {
      await sleep(at - Date.now());
      const cpu0 = process.cpuUsage();
      const w0 = Date.now();
      const r = await tick(tickOptions(tickRt.config), tickRt.deps);
      const cpu = process.cpuUsage(cpu0);
      ticks.push({
        at: new Date(w0).toISOString(),
        ms: Date.now() - w0,
        cpuMs: (cpu.user + cpu.system) / 1000,
        enqueued: r.reduce((s, t) => s + t.enqueued, 0),
      });
      log(
        `tick: enqueued ${ticks.at(-1)?.enqueued}${r.some((t) => t.error) ? ` (error: ${r.find((t) => t.error)?.error})` : ""}, ${ticks.at(-1)?.ms} ms`,
      );
    }

    const all = instants.flatMap((i) => i.runIds);
    const lastOpen = Math.max(...instants.map((i) => i.open));
    const submittedIds = () =>
      new Set([...fakes.submissions("pushpool"), ...fakes.submissions("worker")].map((s) => s.flowRunId));
    for (let logged = 0; Date.now() < lastOpen + cfg.settleSeconds * 1000; ) {
      const seen = submittedIds();
      const n = all.filter((id) => seen.has(id)).length;
      if (n >= all.length && Date.now() > lastOpen) break;
      if (Date.now() - logged > 15_000) {
        log(`${n} / ${all.length} runs submitted`);
        logged = Date.now();
      }
      await sleep(1000);
    }
    await sleep(4000);
    for (const s of Object.values(samplers)) {
      s.sample();
      s.stop();
    }
    const load1 = loadavg()[0]?.toFixed(2);
    const result = await spawned.stop();
    child = undefined;
    await worker.stop();
    const wkLog = worker.tail(40);
    worker = undefined;

    const subs = { pushpool: fakes.submissions("pushpool"), worker: fakes.submissions("worker") };
    const times = [...subs.pushpool, ...subs.worker].map((s) => s.at);
    const period = {
      from: Math.min(...instants.map((i) => i.open), ...times) - 1500,
      to: (times.length ? Math.max(...times) : lastOpen) + 3000,
    };
    const side = (s: Side, note: string) =>
      cloudSide(
        sideResult({
          side: s,
          leadSeconds: s === "pushpool" ? spec.leadSeconds : WORKER_PREFETCH_SECONDS,
          instants: instants.filter((i) => i.side === s),
          calls: asCalls(subs[s]),
          cpuIn: (from, to) => cpuBetween(samplers[s].samples, from, to),
          period,
          registeredRevisions: [],
          distinctSpecs: 0,
          cpuNote: note,
        }),
        fakes.calls(s),
      );
    const pp = side(
      "pushpool",
      "the one Node process handling every delivered message (the function instance); the tick and the delayed queue " +
        `run in the bench process and are not counted (${fmt0(avg(ticks.map((t) => t.cpuMs)))} ms CPU per tick).`,
    );
    const wk = side(
      "worker",
      `the \`prefect worker\` process tree (polling, heartbeats, submissions, watching its executions).`,
    );
    const goals = cloudGoals(pp, wk);
    const spacing =
      `${cfg.instants} instants × ${cfg.runsPerInstant} runs per side (all runs of an instant scheduled for the same second). ` +
      `pushpool's windows (scheduled − lead) every ${cfg.intervalSeconds} s, the worker's ${cfg.workerOffsetSeconds} s after each; ` +
      `the tick (every ${TICK_SECONDS} s) fires ${cfg.tickBeforeSeconds} s before each pushpool window. Each container "runs" ${cfg.runSeconds} s on the fake.`;
    const setup =
      `One Prefect server; ${fakes.describe} pushpool: core's tick in the bench process on an in-process delayed queue, ` +
      `one function process (core's handleMessage, every delivered message handled at once), lead ${spec.leadSeconds} s. ` +
      `Prefect worker: \`prefect worker start --type ${spec.poolType}\`, default settings (poll 10 s, prefetch 10 s). ` +
      `${cpus().length} CPUs shared with other engineers' work; load average ${load0} before the instants and ${load1} after.`;
    const tripLine = prefectTripsLine(result.prefectTrips);
    process.stdout.write(
      `\n## ${spec.labels.title}\n\n${spacing}\n${setup}\n\n${cloudMarkdown(pp, wk, goals, spec.labels)}\n` +
        `\npushpool function → Prefect API, requests (median / p95 ms): ${tripLine}\n` +
        `Function outcomes: ${JSON.stringify(result.outcomes)}${result.errors.length ? `; ${result.errors.length} error(s), first: ${result.errors[0]}` : ""}\n`,
    );
    const files = writeCloudResults({
      cloud: spec.cloud,
      dir: join(REPO_ROOT, "bench", "results"),
      title: spec.labels.title,
      workerName: spec.labels.workerName,
      instants,
      submissions: subs,
      result: {
        config: cfg,
        spacing,
        setup,
        results: { pushpool: pp, worker: wk },
        goals,
        ticks,
        dispatcher: result,
        instants,
        submissions: subs,
        cpuSamples: { pushpool: samplers.pushpool.samples, worker: samplers.worker.samples },
        workerLogTail: wkLog,
      },
    });
    process.stdout.write(`\nJSON: ${files.json}\nSVG: ${files.svg}\n`);
    return goals.every((g) => g.met) ? 0 : 1;
  } catch (error) {
    if (worker) log(`worker log tail:\n${worker.tail()}`);
    log(`dispatcher log tail:\n${tailOf(join(home, "dispatcher.log"))}`);
    throw error;
  } finally {
    child?.kill();
    await worker?.stop();
    await world?.stop().catch(() => {});
    await server.stop().catch(() => {});
    if (process.env[`${spec.prefix}_KEEP`]) log(`kept ${home} (${spec.prefix}_KEEP)`);
    else rmSync(home, { recursive: true, force: true });
  }
}

function avg(values: number[]): number | null {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

function fmt0(v: number | null): string {
  return v === null ? "–" : v.toFixed(0);
}
