/**
 * @module
 * `npm run bench:burst` — a burst: BENCH_BURST_RUNS runs of one deployment due at the same second,
 * through pushpool's REAL tick and dispatch handlers on ECS (moto), then the same burst through
 * Prefect's own ECS worker, on one Prefect server backed by PostgreSQL (PUSHPOOL_PEER_DB, default
 * `postgres` here; `sqlite` works too).
 *
 * Method (the machinery is bench:aws's: bench/awsHarness.ts, awsDispatcher.ts, awsEventSource.ts,
 * awsProxy.ts, awsSetup.ts, awsWorker.ts, awsCpu.ts).
 * 1. A private PostgreSQL cluster, moto and the Prefect server start; two `ecs` pools from the same
 *    template, one deployment each with the same job variables; each side's AWS endpoint is a
 *    recording proxy in front of moto; the worker's Prefect API is a recording proxy too
 *    (bench/apiProxy.ts), pushpool's requests are recorded by its own client (onPrefectRequest).
 * 2. pushpool: the dispatch handler runs as BENCH_BURST_CONCURRENCY emulated Lambda instances (the
 *    emulated SQS event source has one poller, one batch in flight, per instance: Lambda's
 *    concurrency limit; default 10 = serverless.yml's `maximumConcurrency` of the dispatch
 *    function's SQS event source — it declares no reserved concurrency). The tick handler runs in
 *    this process every 60 s, the first tick BENCH_BURST_TICK_BEFORE_SECONDS before scheduled − lead,
 *    and goes on ticking until the burst is submitted.
 * 3. Both bursts' runs are created up front (BENCH_BURST_AHEAD_SECONDS allowed for it): pushpool's
 *    all due at one second S, the worker's at S + BENCH_BURST_WORKER_AFTER_SECONDS, so the two bursts
 *    do not share the CPUs. Phase 1: the tick starts right after (every 60 s, the first one planned
 *    BENCH_BURST_TICK_BEFORE_SECONDS before S − lead: enough for the tick to see the whole burst
 *    before its first delivery, as a tick that runs all the time would), and the bench waits until
 *    every pushpool run has a RunTask (or S − lead + BENCH_BURST_SETTLE_SECONDS). Phase 2: Prefect's
 *    worker (`prefect worker start --type ecs`, defaults: poll 10 s, prefetch 10 s, running from the
 *    start), the same wait.
 * 4. CPU of the Prefect server's process tree, of PostgreSQL's (postmaster + backends), of the
 *    dispatcher and of the worker is sampled from /proc every 250 ms (bench/awsCpu.ts).
 * Lateness, windows and per-run figures: bench/burstReport.ts. Prints a markdown table on stdout
 * (progress on stderr), writes bench/results/burst-<time>.json with -timeline.svg and -lateness.svg
 * beside it; exits 0 when pushpool's goals hold, 1 when one is missed, 2 when the bench failed.
 *
 * Settings: BENCH_BURST_RUNS (1000), BENCH_BURST_WORKER_RUNS (the same; 0 skips the worker's side),
 * BENCH_BURST_CONCURRENCY (10), BENCH_BURST_BATCH_SIZE (10) and BENCH_BURST_BATCH_WINDOW_SECONDS (1)
 * as serverless.yml, BENCH_BURST_AHEAD_SECONDS (20 + 0.35 s per run created), BENCH_BURST_TICK_BEFORE_SECONDS
 * (62 + runs ÷ burst rate), BENCH_BURST_WORKER_AFTER_SECONDS (150), BENCH_BURST_SETTLE_SECONDS (600:
 * per side, how long after scheduled − lead to wait for the last submission),
 * BENCH_BURST_CREATE_CONCURRENCY (8), BENCH_BURST_KEEP (keep the temporary home and its logs),
 * PUSHPOOL_LEAD_SECONDS and PUSHPOOL_BURST_RATE (pushpool's, passed to the handlers), PUSHPOOL_PEER_DB
 * (postgres). Quick smoke: `BENCH_BURST_RUNS=50 npx tsx bench/burst.bench.ts` (about 6 minutes).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ECS_LEAD_SECONDS } from "../core/backends/ecs/index.ts";
import { makeTickHandler } from "../functions/aws/tick.ts";
import { createRuntime } from "../functions/aws/wiring.ts";
import { peerDatabase, startPostgres } from "../functions/local/postgresServer.ts";
import { REPO_ROOT, startPrefectServer, VENV_BIN } from "../functions/local/prefectServer.ts";
import { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";
import { startMotoServer } from "../test/peers/motoServer.ts";
import { startApiProxy } from "./apiProxy.ts";
import { type CpuSampler, cpuBetween, sampleCpu } from "./awsCpu.ts";
import {
  awsEnv,
  createRuns,
  type Dispatcher,
  sleep,
  startDispatcher,
  tailOf,
  venvVersions,
} from "./awsHarness.ts";
import { startAwsProxy } from "./awsProxy.ts";
import { runTaskTimes } from "./awsReport.ts";
import {
  ecsJobVariables,
  ecsPoolWithDeployment,
  ecsTemplate,
  REGION,
  setupMoto,
  tasksPerRun,
} from "./awsSetup.ts";
import { startEcsWorker } from "./awsWorker.ts";
import { burstGoals, burstMarkdown, burstSide, type PrefectRequest, writeBurstFiles } from "./burstReport.ts";
import { envNumber } from "./plan.ts";
import { postmasterPid, prefectServerPid } from "./serverProcesses.ts";

const WORKER_PREFETCH_SECONDS = 10;
const TICK_SECONDS = 60;
const POOLS = { pushpool: "bench-burst-pushpool", worker: "bench-burst-worker" };
const log = (s: string) =>
  process.stderr.write(`[bench:burst ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function readConfig(env: Record<string, string | undefined>) {
  const num = (name: string, fallback: number, min: number) => envNumber(env, name, fallback, min);
  const runs = Math.round(num("BENCH_BURST_RUNS", 1000, 1));
  const burstRate = num("PUSHPOOL_BURST_RATE", 10, 0.001);
  return {
    runs,
    concurrency: Math.round(num("BENCH_BURST_CONCURRENCY", 10, 1)),
    batchSize: Math.round(num("BENCH_BURST_BATCH_SIZE", 10, 1)),
    batchWindowSeconds: num("BENCH_BURST_BATCH_WINDOW_SECONDS", 1, 0),
    tickBeforeSeconds: num("BENCH_BURST_TICK_BEFORE_SECONDS", 62 + Math.ceil(runs / burstRate), 0),
    workerRuns: Math.round(num("BENCH_BURST_WORKER_RUNS", runs, 0)),
    aheadSeconds: num(
      "BENCH_BURST_AHEAD_SECONDS",
      20 + 0.35 * runs * (env.BENCH_BURST_WORKER_RUNS === "0" ? 1 : 2),
      5,
    ),
    workerAfterSeconds: num("BENCH_BURST_WORKER_AFTER_SECONDS", 150, 0),
    settleSeconds: num("BENCH_BURST_SETTLE_SECONDS", 600, 10),
    createConcurrency: Math.round(num("BENCH_BURST_CREATE_CONCURRENCY", 8, 1)),
    leadSeconds: num("PUSHPOOL_LEAD_SECONDS", ECS_LEAD_SECONDS, 0),
    burstRate: env.PUSHPOOL_BURST_RATE ? burstRate : null,
  };
}

async function main(): Promise<number> {
  const cfg = readConfig(process.env);
  const database = peerDatabase({
    ...process.env,
    PUSHPOOL_PEER_DB: process.env.PUSHPOOL_PEER_DB || "postgres",
  });
  log(
    `starting ${database === "postgres" ? "PostgreSQL, " : ""}moto and the Prefect server (on ${database})…`,
  );
  const cluster = database === "postgres" ? await startPostgres() : undefined;
  const [moto, server] = await Promise.all([
    startMotoServer(),
    startPrefectServer({ database: cluster ?? "sqlite" }),
  ]);
  const home = mkdtempSync(join(tmpdir(), "pushpool-bench-burst-"));
  const proxies = {
    pushpool: await startAwsProxy(moto.endpoint),
    worker: await startAwsProxy(moto.endpoint),
  };
  const workerApi = await startApiProxy(server.apiUrl);
  let worker: Awaited<ReturnType<typeof startEcsWorker>> | undefined;
  let dispatcher: Dispatcher | undefined;
  const samplers: CpuSampler[] = [];
  try {
    const serverPid = prefectServerPid(server.apiUrl);
    const pgPid = cluster ? postmasterPid(cluster.dir) : null;
    if (!serverPid) throw new Error("could not find the Prefect server's process");
    if (cluster && !pgPid) throw new Error("could not find the PostgreSQL postmaster");
    const aws = await setupMoto(moto.endpoint, "burst");
    const admin = new PrefectAdmin(server.apiUrl);
    const template = await ecsTemplate(admin);
    const vars = ecsJobVariables(aws);
    const deployments = {
      pushpool: (await ecsPoolWithDeployment(admin, POOLS.pushpool, template, vars)).deployment,
      worker: (await ecsPoolWithDeployment(admin, POOLS.worker, template, vars)).deployment,
    };
    const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? home, LANG: "C.UTF-8" };

    log("starting `prefect worker start --type ecs` (default settings)…");
    worker = await startEcsWorker({
      pool: POOLS.worker,
      apiUrl: workerApi.apiUrl,
      logFile: join(home, "worker.log"),
      env: {
        ...base,
        PATH: `${VENV_BIN}:${base.PATH}`,
        PREFECT_HOME: join(home, "worker-prefect-home"),
        PREFECT_API_URL: workerApi.apiUrl,
        ...awsEnv(proxies.worker.endpoint),
      },
    });
    const handlerEnv: Record<string, string> = {
      ...base,
      PREFECT_API_URL: server.apiUrl,
      PUSHPOOL_POOLS: POOLS.pushpool,
      PUSHPOOL_QUEUE_URL: aws.queue.url,
      PUSHPOOL_ECS_CLUSTERS: aws.cluster,
      PUSHPOOL_TICK_SECONDS: String(TICK_SECONDS),
      ...(process.env.PUSHPOOL_LEAD_SECONDS ? { PUSHPOOL_LEAD_SECONDS: String(cfg.leadSeconds) } : {}),
      ...(cfg.burstRate !== null ? { PUSHPOOL_BURST_RATE: String(cfg.burstRate) } : {}),
      ...awsEnv(proxies.pushpool.endpoint),
    };
    log(`starting pushpool's dispatch handler: ${cfg.concurrency} emulated Lambda instances…`);
    dispatcher = await startDispatcher({
      env: handlerEnv,
      logFile: join(home, "dispatcher.log"),
      settings: {
        queueUrl: aws.queue.url,
        queueArn: aws.queue.arn,
        motoEndpoint: moto.endpoint,
        region: REGION,
        pollers: cfg.concurrency,
        batchSize: cfg.batchSize,
        batchWindowSeconds: cfg.batchWindowSeconds,
        visibilityTimeout: 370,
      },
    });
    Object.assign(process.env, awsEnv(proxies.pushpool.endpoint), { POWERTOOLS_LOG_LEVEL: "WARN" });
    const tickTrips: PrefectRequest[] = [];
    const tickRuntime = await createRuntime({
      env: handlerEnv,
      onPrefectRequest: (i) => tickTrips.push({ method: i.method, path: i.path, at: Date.now() - i.ms }),
    });
    const tick = makeTickHandler(async () => tickRuntime);

    const cpu = {
      server: sampleCpu(serverPid),
      database: pgPid ? sampleCpu(pgPid) : null,
      dispatcher: sampleCpu(dispatcher.pid),
      worker: sampleCpu(worker.pid),
    };
    samplers.push(...Object.values(cpu).filter((s): s is CpuSampler => s !== null));
    const load0 = loadavg()[0]?.toFixed(2);
    const submittedOf = (side: "pushpool" | "worker", ids: string[]) => {
      const times = runTaskTimes(proxies[side].calls);
      return ids.filter((id) => times.has(id)).length;
    };
    // Both bursts' runs, created up front: pushpool's due at S (the first tick, right after the
    // runs are created, is BENCH_BURST_TICK_BEFORE_SECONDS before S − lead), the worker's at
    // S + BENCH_BURST_WORKER_AFTER_SECONDS, after pushpool's burst.
    const planned = Date.now() + cfg.aheadSeconds * 1000;
    const ppScheduled = Math.ceil((planned + (cfg.leadSeconds + cfg.tickBeforeSeconds) * 1000) / 1000) * 1000;
    const burst = (side: "pushpool" | "worker", scheduled: number, lead: number, runs: number) => ({
      side,
      scheduled,
      open: scheduled - lead * 1000,
      runIds: [] as string[],
      runs,
    });
    const pp = burst("pushpool", ppScheduled, cfg.leadSeconds, cfg.runs);
    const wk = burst(
      "worker",
      ppScheduled + cfg.workerAfterSeconds * 1000,
      WORKER_PREFETCH_SECONDS,
      cfg.workerRuns,
    );
    const t0 = Date.now();
    log(
      `creating ${pp.runs} + ${wk.runs} runs, scheduled for ${new Date(pp.scheduled).toISOString()} and ${new Date(wk.scheduled).toISOString()}…`,
    );
    const jobs = [pp, wk].flatMap((b) => Array.from({ length: b.runs }, (_, i) => ({ b, i })));
    await createRuns(
      admin,
      jobs,
      cfg.createConcurrency,
      ({ b, i }) => {
        const name = `${b.side === "pushpool" ? "pp" : "wk"}-${String(i).padStart(4, "0")}`;
        return {
          deploymentId: deployments[b.side].id,
          name,
          key: `burst-${b.scheduled}-${name}`,
          scheduled: new Date(b.scheduled),
        };
      },
      ({ b }, run) => b.runIds.push(run.id),
    );
    const created = Date.now();
    log(`runs created in ${((created - t0) / 1000).toFixed(1)} s (planned: ${cfg.aheadSeconds} s)`);
    const waitFor = async (side: "pushpool" | "worker", b: { open: number; runIds: string[] }) => {
      const deadline = b.open + cfg.settleSeconds * 1000;
      for (let logged = 0; Date.now() < deadline; await sleep(1000)) {
        const n = submittedOf(side, b.runIds);
        if (n >= b.runIds.length) break;
        if (Date.now() - logged > 15_000) {
          log(`${side}: ${n} / ${b.runIds.length} runs submitted`);
          logged = Date.now();
        }
      }
      await sleep(4000); // pid PATCHes and the samplers' last window
      log(`${side}: ${submittedOf(side, b.runIds)} / ${b.runIds.length} runs submitted`);
    };

    // Phase 1: pushpool. The tick every 60 s from now on (a late start is reported, not fatal).
    const firstTick = Date.now();
    const tickLateSeconds = Math.max(0, (firstTick - planned) / 1000);
    if (tickLateSeconds > 1)
      log(`creating the runs took ${tickLateSeconds.toFixed(0)} s longer than BENCH_BURST_AHEAD_SECONDS`);
    const ticks: { at: number; ms: number; enqueued: number; held: number; warmed: number }[] = [];
    let ticking = true;
    const ticker = (async () => {
      for (let at = firstTick; ticking; at += TICK_SECONDS * 1000) {
        while (ticking && Date.now() < at) await sleep(Math.min(500, at - Date.now()));
        if (!ticking) break;
        const w0 = Date.now();
        const r = await tick({});
        const sum = (k: "enqueued" | "held" | "warmed") => r.ticked.reduce((s, t) => s + (t[k] ?? 0), 0);
        ticks.push({
          at: w0,
          ms: Date.now() - w0,
          enqueued: sum("enqueued"),
          held: sum("held"),
          warmed: sum("warmed"),
        });
        log(
          `tick: enqueued ${sum("enqueued")}, held ${sum("held")}, warmed ${sum("warmed")}, ${Date.now() - w0} ms`,
        );
      }
    })();
    await waitFor("pushpool", pp);
    ticking = false;
    await ticker;

    // Phase 2: Prefect's worker, on its own burst.
    const overlap = Date.now() > wk.open;
    if (overlap)
      log("pushpool's burst was still going when the worker's began: raise BENCH_BURST_WORKER_AFTER_SECONDS");
    await waitFor("worker", wk);
    for (const s of samplers) {
      s.sample();
      s.stop();
    }
    const load1 = loadavg()[0]?.toFixed(2);
    const result = await dispatcher.stop();
    dispatcher = undefined;
    await worker.stop();
    const tasks = await tasksPerRun(moto.endpoint, aws.cluster);

    const cpuOf = (s: CpuSampler | null) => (from: number, to: number) =>
      s ? cpuBetween(s.samples, from, to) : null;
    const serverCpu = { server: cpuOf(cpu.server), database: cpuOf(cpu.database) };
    const regs = (side: "pushpool" | "worker") =>
      proxies[side].calls
        .filter((c) => c.op === "RegisterTaskDefinition" && c.status === 200)
        .map((c) => c.at);
    const runTaskAt = (side: "pushpool" | "worker") =>
      new Map([...runTaskTimes(proxies[side].calls)].map(([id, t]) => [id, t.at]));
    const enqueuing = ticks.find((t) => t.enqueued > 0);
    const ppResult = burstSide({
      side: "pushpool",
      how: `tick + dispatch handler, ${cfg.concurrency} Lambda instances`,
      leadSeconds: cfg.leadSeconds,
      scheduled: pp.scheduled,
      runIds: pp.runIds,
      settleSeconds: cfg.settleSeconds,
      runTaskAt: runTaskAt("pushpool"),
      tasks,
      runTaskCalls: proxies.pushpool.calls.filter((c) => c.op === "RunTask").length,
      registrations: regs("pushpool"),
      requests: [
        ...tickTrips,
        ...result.prefectTrips.map((t) => ({ method: t.method, path: t.path, at: t.start })),
      ],
      ...(enqueuing ? { startedAt: enqueuing.at } : {}),
      cpu: serverCpu,
      ownCpu: cpuOf(cpu.dispatcher),
    });
    const origin = performance.timeOrigin;
    const wkResult = burstSide({
      side: "worker",
      how: "`prefect worker start --type ecs`, defaults",
      leadSeconds: WORKER_PREFETCH_SECONDS,
      scheduled: wk.scheduled,
      runIds: wk.runIds,
      settleSeconds: cfg.settleSeconds,
      runTaskAt: runTaskAt("worker"),
      tasks,
      runTaskCalls: proxies.worker.calls.filter((c) => c.op === "RunTask").length,
      registrations: regs("worker"),
      requests: workerApi.trips.map((t) => ({ method: t.method, path: t.path, at: origin + t.start })),
      cpu: serverCpu,
      ownCpu: cpuOf(cpu.worker),
    });
    const goals = burstGoals(ppResult);
    const versions = venvVersions();
    const setup =
      `${cfg.runs} runs of one deployment due at one second, per side; Prefect server (${versions.prefect}) on ${database}, moto (${versions.moto}). ` +
      `pushpool: real tick (every ${TICK_SECONDS} s, the first ${fmtS(cfg.tickBeforeSeconds - tickLateSeconds)} s before scheduled − lead) and dispatch handler, ` +
      `${cfg.concurrency} concurrent emulated Lambda instances (SQS event source: batch ${cfg.batchSize}, window ${cfg.batchWindowSeconds} s), ` +
      `lead ${cfg.leadSeconds} s, burst rate ${cfg.burstRate ?? "default (10/s)"}. ` +
      `Prefect worker: \`prefect worker start --type ecs\` (prefect-aws ${versions.prefectAws}), defaults; its burst ${cfg.workerAfterSeconds} s after pushpool's${overlap ? " (OVERLAPPED pushpool's: pushpool's burst was not over)" : ""}. ` +
      `${cpus().length} CPUs, load average ${load0} before and ${load1} after.`;
    process.stdout.write(
      `\n## A burst of ${cfg.runs}: pushpool vs Prefect's ECS worker\n\n${setup}\n\n${burstMarkdown(ppResult, wkResult, goals)}\n`,
    );
    if (result.errors.length)
      process.stdout.write(
        `\nThe dispatcher reported ${result.errors.length} error(s); first: ${result.errors[0]}\n`,
      );
    const at = (side: "pushpool" | "worker", ids: string[]) => {
      const t = runTaskAt(side);
      return ids.flatMap((id) => (t.has(id) ? [t.get(id) as number] : []));
    };
    const files = writeBurstFiles(
      {
        config: cfg,
        database,
        setup,
        versions,
        results: { pushpool: ppResult, worker: wkResult },
        goals,
        ticks: ticks.map((t) => ({ ...t, at: new Date(t.at).toISOString() })),
        dispatcher: {
          invocations: result.invocations,
          registrations: result.registrations,
          errors: result.errors,
        },
        runs: { pushpool: pp, worker: wk },
      },
      {
        pushpool: { scheduled: pp.scheduled, open: pp.open, at: at("pushpool", pp.runIds) },
        worker: { scheduled: wk.scheduled, open: wk.open, at: at("worker", wk.runIds) },
      },
      join(REPO_ROOT, "bench", "results"),
    );
    process.stdout.write(`\nJSON: ${files.json}\nSVG: ${files.timeline}\nSVG: ${files.lateness}\n`);
    return goals.every((g) => g.met) ? 0 : 1;
  } catch (error) {
    if (worker) log(`worker log tail:\n${worker.tail()}`);
    log(`dispatcher log tail:\n${tailOf(join(home, "dispatcher.log"))}`);
    log(`Prefect server log tail:\n${tailOf(server.logFile)}`);
    throw error;
  } finally {
    for (const s of samplers) s.stop();
    dispatcher?.kill();
    await worker?.stop();
    await Promise.all([proxies.pushpool.close(), proxies.worker.close(), workerApi.close()]).catch(() => {});
    await server.stop().catch(() => {});
    await moto.stop().catch(() => {});
    await cluster?.stop().catch(() => {});
    if (process.env.BENCH_BURST_KEEP) log(`kept ${home} (BENCH_BURST_KEEP)`);
    else rmSync(home, { recursive: true, force: true });
  }
}

function fmtS(v: number): string {
  return v.toFixed(0);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(2);
  },
);
