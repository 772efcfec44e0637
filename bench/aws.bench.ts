/**
 * @module
 * `npm run bench:aws` — pushpool's Lambda dispatch handler side by side with Prefect's own ECS
 * worker (`prefect worker start --type ecs`, prefect-aws in .venv/), against ONE moto and ONE real
 * Prefect server; then the size and cold start of each Lambda bundle.
 *
 * Method.
 * 1. moto and the Prefect server start; each side gets a recording proxy in front of moto
 *    (bench/awsProxy.ts) as its AWS endpoint, so both sides' RunTask and RegisterTaskDefinition
 *    requests are timed and counted in the same way. Two `ecs` pools from the same template, one
 *    deployment each with the same job variables (bench/awsSetup.ts: moto's quirks as in the tests).
 * 2. pushpool: the real tick handler (functions/aws/tick.ts) runs in this process every 60 s
 *    (EventBridge `rate(1 minute)`), with its phase chosen BENCH_AWS_TICK_BEFORE_SECONDS before each
 *    instant's delivery time so that it never fires during either side's dispatch window; it enqueues
 *    on the moto SQS queue with DelaySeconds = scheduled − lead − now. The real dispatch handler runs
 *    in a child process (bench/awsDispatcher.ts) behind an emulation of Lambda's SQS event source,
 *    on Lambda's Node.js major with Lambda's flags for the function's memory (bench/lambdaNode.ts:
 *    fetched once when the machine's node is another major).
 *    Prefect's worker runs with its defaults (poll 10 s, prefetch 10 s).
 * 3. Each side gets BENCH_AWS_INSTANTS instants × BENCH_AWS_RUNS_PER_INSTANT runs, all runs of an
 *    instant scheduled for the same second, all created up front. The sides are offset so that their
 *    dispatch windows do not share the 2 CPUs: an instant's window opens at scheduled − lead (pushpool:
 *    its ECS lead; worker: its prefetch), pushpool's windows every BENCH_AWS_INTERVAL_SECONDS from t0,
 *    the worker's BENCH_AWS_WORKER_OFFSET_SECONDS after each.
 * 4. CPU of both process trees is sampled from /proc every 250 ms (bench/awsCpu.ts).
 * 5. Afterwards (servers stopped, machine quiet): bundles and cold starts (bench/bundles.ts).
 * Prints a markdown report on stdout (progress on stderr), writes bench/results/aws-<time>.json,
 * exits 1 when a goal is missed (after printing everything), 2 when the benchmark itself failed.
 *
 * Settings: BENCH_AWS_INSTANTS (4), BENCH_AWS_RUNS_PER_INSTANT (50), BENCH_AWS_INTERVAL_SECONDS (60),
 * BENCH_AWS_WORKER_OFFSET_SECONDS (30), BENCH_AWS_AHEAD_SECONDS (60 + 0.4 s per run), BENCH_AWS_TICK_BEFORE_SECONDS
 * (50), BENCH_AWS_POLLERS (5: the SQS event source's initial concurrency), BENCH_AWS_BATCH_SIZE (10)
 * and BENCH_AWS_BATCH_WINDOW_SECONDS (1) as in serverless.yml, BENCH_AWS_SETTLE_SECONDS (120),
 * BENCH_AWS_BUNDLES (1; 0 skips the bundles), BENCH_AWS_TRACE (unset; 1: trace each dispatch's sequential
 * round trips and check ≤ 4, at the CPU cost of AsyncLocalStorage in the function's process), BENCH_AWS_KEEP (unset; set: keep the temporary home and its logs), BENCH_AWS_BUNDLE_ROUNDS (10),
 * BENCH_AWS_DISPATCHER_NODE (unset: Lambda's Node.js, see bench/lambdaNode.ts; a path: that binary),
 * BENCH_AWS_DISPATCHER_NODE_ARGS (extra node flags, e.g. `--cpu-prof`), BENCH_AWS_MINIFY (unset; 0:
 * readable names in a CPU profile), BENCH_AWS_VARIANT (unset;
 * experiments only, see bench/awsDispatcher.ts), PUSHPOOL_LEAD_SECONDS
 * (unset: pushpool's ECS default), PUSHPOOL_PEER_DB (sqlite, or postgres: the Prefect server on a
 * private PostgreSQL cluster). Quick smoke: `BENCH_AWS_INSTANTS=1 BENCH_AWS_RUNS_PER_INSTANT=5
 * BENCH_AWS_BUNDLES=0 npx tsx bench/aws.bench.ts`.
 */

import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { ECS_LEAD_SECONDS } from "../core/backends/ecs/index.ts";
import { makeTickHandler } from "../functions/aws/tick.ts";
import { createRuntime } from "../functions/aws/wiring.ts";
import { peerDatabase } from "../functions/local/postgresServer.ts";
import { REPO_ROOT, startPrefectServer, VENV_BIN } from "../functions/local/prefectServer.ts";
import { PrefectAdmin } from "../test/peers/helpers/prefectAdmin.ts";
import { startMotoServer } from "../test/peers/motoServer.ts";
import { startApiProxy } from "./apiProxy.ts";
import { cpuBetween, sampleCpu } from "./awsCpu.ts";
import type { DispatcherSettings, PrefectTrip } from "./awsDispatcher.ts";
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
import {
  checkGoals,
  type DispatchRequests,
  type Instant,
  markdown,
  runTaskTimes,
  sideResult,
  writeJson,
} from "./awsReport.ts";
import {
  ecsJobVariables,
  ecsPoolWithDeployment,
  ecsTemplate,
  REGION,
  setupMoto,
  taskDefinitionsIn,
} from "./awsSetup.ts";
import { startEcsWorker } from "./awsWorker.ts";
import { type BundlesResult, measureBundles } from "./bundles.ts";
import { lambdaNode } from "./lambdaNode.ts";
import type { Side } from "./plan.ts";
import { envNumber } from "./plan.ts";
import { type CountedTrip, requestsPerRun, requestsTable } from "./requestKinds.ts";
import { dispatchTraces } from "./roundTrips.ts";
import { quantile, summarize } from "./stats.ts";

/** Prefect's default worker prefetch (PREFECT_WORKER_PREFETCH_SECONDS), the worker's "lead". */
const WORKER_PREFETCH_SECONDS = 10;
/** The tick's period: serverless.yml's `rate(1 minute)` (PUSHPOOL_TICK_SECONDS 60). */
const TICK_SECONDS = 60;
const POOLS: Record<Side, string> = { pushpool: "bench-aws-pushpool", worker: "bench-aws-worker" };
const log = (s: string) =>
  process.stderr.write(`[bench:aws ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

interface AwsBenchConfig {
  instants: number;
  runsPerInstant: number;
  intervalSeconds: number;
  workerOffsetSeconds: number;
  aheadSeconds: number;
  tickBeforeSeconds: number;
  pollers: number;
  batchSize: number;
  batchWindowSeconds: number;
  settleSeconds: number;
  bundles: boolean;
  bundleRounds: number;
  leadSeconds: number;
}

function readConfig(env: Record<string, string | undefined>): AwsBenchConfig {
  const num = (name: string, fallback: number, min: number) => envNumber(env, name, fallback, min);
  const c: AwsBenchConfig = {
    instants: Math.round(num("BENCH_AWS_INSTANTS", 4, 1)),
    runsPerInstant: Math.round(num("BENCH_AWS_RUNS_PER_INSTANT", 50, 1)),
    intervalSeconds: num("BENCH_AWS_INTERVAL_SECONDS", 60, 10),
    workerOffsetSeconds: num("BENCH_AWS_WORKER_OFFSET_SECONDS", 30, 0),
    // Creating a run takes 0.1–0.5 s on a busy 2-core machine (the server's SQLite answers 503 to bursts).
    aheadSeconds: num(
      "BENCH_AWS_AHEAD_SECONDS",
      60 + 0.4 * 2 * num("BENCH_AWS_INSTANTS", 4, 1) * num("BENCH_AWS_RUNS_PER_INSTANT", 50, 1),
      10,
    ),
    tickBeforeSeconds: num("BENCH_AWS_TICK_BEFORE_SECONDS", 50, 1),
    pollers: Math.round(num("BENCH_AWS_POLLERS", 5, 1)),
    batchSize: Math.round(num("BENCH_AWS_BATCH_SIZE", 10, 1)),
    batchWindowSeconds: num("BENCH_AWS_BATCH_WINDOW_SECONDS", 1, 0),
    settleSeconds: num("BENCH_AWS_SETTLE_SECONDS", 120, 10),
    bundles: env.BENCH_AWS_BUNDLES !== "0",
    bundleRounds: Math.round(num("BENCH_AWS_BUNDLE_ROUNDS", 10, 1)),
    leadSeconds: num("PUSHPOOL_LEAD_SECONDS", ECS_LEAD_SECONDS, 0),
  };
  if (c.tickBeforeSeconds >= TICK_SECONDS + 2)
    throw new Error("BENCH_AWS_TICK_BEFORE_SECONDS must be below the tick period + margin (62 s)");
  if (c.workerOffsetSeconds >= c.intervalSeconds)
    throw new Error("BENCH_AWS_WORKER_OFFSET_SECONDS must be smaller than BENCH_AWS_INTERVAL_SECONDS");
  return c;
}

async function main(): Promise<number> {
  const cfg = readConfig(process.env);
  const database = peerDatabase(); // PUSHPOOL_PEER_DB=sqlite|postgres
  log(`starting moto and the Prefect server (on ${database})…`);
  const [moto, server] = await Promise.all([startMotoServer(), startPrefectServer({ database })]);
  const home = mkdtempSync(join(tmpdir(), "pushpool-bench-aws-"));
  const proxies = {
    pushpool: await startAwsProxy(moto.endpoint),
    worker: await startAwsProxy(moto.endpoint),
  };
  // The worker's Prefect requests, counted by kind like pushpool's.
  const workerApi = await startApiProxy(server.apiUrl);
  let worker: Awaited<ReturnType<typeof startEcsWorker>> | undefined;
  let child: Dispatcher | undefined;
  let bundles: BundlesResult | null = null;
  try {
    const aws = await setupMoto(moto.endpoint, "bench");
    const admin = new PrefectAdmin(server.apiUrl);
    const template = await ecsTemplate(admin);
    const vars = ecsJobVariables(aws);
    const sides = {
      pushpool: await ecsPoolWithDeployment(admin, POOLS.pushpool, template, vars),
      worker: await ecsPoolWithDeployment(admin, POOLS.worker, template, vars),
    };
    log(`Prefect ${server.apiUrl}, moto ${moto.endpoint}; pools ${POOLS.pushpool} and ${POOLS.worker}`);

    const base = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? home, LANG: "C.UTF-8" };

    // Prefect's worker, defaults, its boto3 pointed at its proxy.
    log("starting `prefect worker start --type ecs` (default settings)…");
    worker = await startEcsWorker({
      pool: POOLS.worker,
      apiUrl: server.apiUrl,
      logFile: join(home, "worker.log"),
      env: {
        ...base,
        PATH: `${VENV_BIN}:${base.PATH}`,
        PREFECT_HOME: join(home, "worker-prefect-home"),
        PREFECT_API_URL: workerApi.apiUrl,
        ...awsEnv(proxies.worker.endpoint),
      },
    });

    // pushpool: the handlers' environment (the dispatcher child's and the tick's).
    const handlerEnv: Record<string, string> = {
      ...base,
      PREFECT_API_URL: server.apiUrl,
      PUSHPOOL_POOLS: POOLS.pushpool,
      PUSHPOOL_QUEUE_URL: aws.queue.url,
      PUSHPOOL_ECS_CLUSTERS: aws.cluster,
      PUSHPOOL_TICK_SECONDS: String(TICK_SECONDS),
      ...(process.env.PUSHPOOL_LEAD_SECONDS ? { PUSHPOOL_LEAD_SECONDS: String(cfg.leadSeconds) } : {}),
      ...awsEnv(proxies.pushpool.endpoint),
    };
    const settings: DispatcherSettings = {
      queueUrl: aws.queue.url,
      queueArn: aws.queue.arn,
      motoEndpoint: moto.endpoint,
      region: REGION,
      pollers: cfg.pollers,
      batchSize: cfg.batchSize,
      batchWindowSeconds: cfg.batchWindowSeconds,
      visibilityTimeout: 370,
    };
    log(`starting pushpool's dispatch handler: ${cfg.pollers} emulated Lambda instances…`);
    const childLog = join(home, "dispatcher.log");
    // BENCH_AWS_DISPATCHER_NODE_ARGS: extra node flags for it, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`.
    const nodeArgs = (process.env.BENCH_AWS_DISPATCHER_NODE_ARGS ?? "").split(" ").filter(Boolean);
    // The function runs on Lambda's Node.js major with Lambda's flags for its memory (bench/lambdaNode.ts).
    const fnNode = lambdaNode(REPO_ROOT, log);
    log(`the function runs on ${fnNode.note}`);
    const spawned = await startDispatcher({
      env: handlerEnv,
      settings,
      logFile: childLog,
      node: fnNode,
      nodeArgs: [...fnNode.args, ...nodeArgs],
      variant: process.env.BENCH_AWS_VARIANT ?? "",
    });
    child = spawned;

    // The tick handler, in this process (its SQS client reads process.env). Its INFO lines would
    // land in the middle of this report on stdout: warnings only (the tick is not measured).
    Object.assign(process.env, awsEnv(proxies.pushpool.endpoint), { POWERTOOLS_LOG_LEVEL: "WARN" });
    const tickTrips: CountedTrip[] = [];
    const tickRuntime = await createRuntime({
      env: handlerEnv,
      onPrefectRequest: (i) => tickTrips.push({ method: i.method, path: i.path }),
    });
    const tick = makeTickHandler(async () => tickRuntime);

    // The plan: t0 = the first pushpool window.
    const created0 = Date.now();
    const t0 = Math.ceil((created0 + cfg.aheadSeconds * 1000) / 1000) * 1000;
    const instants: Instant[] = [];
    for (let k = 0; k < cfg.instants; k++) {
      const ppOpen = t0 + k * cfg.intervalSeconds * 1000;
      const wkOpen = ppOpen + cfg.workerOffsetSeconds * 1000;
      instants.push({
        side: "pushpool",
        index: k,
        open: ppOpen,
        scheduled: ppOpen + cfg.leadSeconds * 1000,
        runIds: [],
      });
      instants.push({
        side: "worker",
        index: k,
        open: wkOpen,
        scheduled: wkOpen + WORKER_PREFETCH_SECONDS * 1000,
        runIds: [],
      });
    }
    log(`creating ${2 * cfg.instants * cfg.runsPerInstant} scheduled runs…`);
    const jobs = instants.flatMap((instant) =>
      Array.from({ length: cfg.runsPerInstant }, (_, i) => ({ instant, i })),
    );
    // Three at a time, retried: the server's SQLite answers 503 to bursts of writes. The
    // idempotency key makes a retried create return the run it may already have made.
    await createRuns(
      admin,
      jobs,
      3,
      ({ instant, i }) => {
        const name = `${instant.side === "pushpool" ? "pp" : "wk"}-i${instant.index}-${String(i).padStart(3, "0")}`;
        return {
          deploymentId: sides[instant.side].deployment.id,
          name,
          key: `bench-aws-${t0}-${name}`,
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
      throw new Error("creating the runs took longer than planned: raise BENCH_AWS_AHEAD_SECONDS");

    // pushpool: the function's process alone (what Lambda bills), and with the emulated event source.
    const samplers = {
      pushpool: sampleCpu(spawned.pid, { tree: false }),
      pushpoolTree: sampleCpu(spawned.pid),
      worker: sampleCpu(worker.pid),
    };
    const load0 = loadavg()[0]?.toFixed(2);
    const ppOpens = instants.filter((i) => i.side === "pushpool").map((i) => i.open);
    const lastPpOpen = Math.max(...ppOpens);
    const ticks: { at: string; cpuMs: number; ms: number; enqueued: number; reconciled: number }[] = [];
    for (let at = firstTick; at <= lastPpOpen; at += TICK_SECONDS * 1000) {
      await sleep(at - Date.now());
      const cpu0 = process.cpuUsage();
      const w0 = Date.now();
      const r = await tick({});
      const cpu = process.cpuUsage(cpu0);
      ticks.push({
        at: new Date(w0).toISOString(),
        ms: Date.now() - w0,
        cpuMs: (cpu.user + cpu.system) / 1000,
        enqueued: r.ticked.reduce((s, t) => s + t.enqueued, 0),
        reconciled: r.reconciled.filter((x) => x.action !== "none").length,
      });
      log(`tick: enqueued ${ticks.at(-1)?.enqueued}, ${ticks.at(-1)?.ms} ms`);
    }

    const all = instants.flatMap((i) => i.runIds);
    const lastOpen = Math.max(...instants.map((i) => i.open));
    const deadline = lastOpen + cfg.settleSeconds * 1000;
    const submitted = () => {
      const t = new Map([...runTaskTimes(proxies.pushpool.calls), ...runTaskTimes(proxies.worker.calls)]);
      return all.filter((id) => t.has(id)).length;
    };
    for (let logged = 0; Date.now() < deadline; ) {
      const n = submitted();
      if (n >= all.length && Date.now() > lastOpen) break;
      if (Date.now() - logged > 15_000) {
        log(`${n} / ${all.length} runs submitted`);
        logged = Date.now();
      }
      await sleep(1000);
    }
    await sleep(4000); // pid PATCHes and the samplers' last window ends
    for (const sampler of Object.values(samplers)) {
      sampler.sample();
      sampler.stop();
    }
    const load1 = loadavg()[0]?.toFixed(2);
    log(`${submitted()} / ${all.length} runs submitted; stopping both sides…`);

    const result = await spawned.stop();
    await worker.stop();
    const revisions = {
      pushpool: await taskDefinitionsIn(moto.endpoint, "pushpool_"),
      worker: await taskDefinitionsIn(moto.endpoint, "prefect_"),
    };

    const allTimes = [...proxies.pushpool.calls, ...proxies.worker.calls]
      .filter((c) => c.op === "RunTask")
      .map((c) => c.at);
    const period = {
      from: Math.min(...instants.map((i) => i.open), ...allTimes) - 1500,
      to: (allTimes.length ? Math.max(...allTimes) : lastOpen) + 3000,
    };
    const inProcess = new Map<string, number>();
    for (const r of result.runTasks) {
      const seen = inProcess.get(r.flowRunId);
      if (seen === undefined || r.start < seen) inProcess.set(r.flowRunId, r.start);
    }
    const ppSide = {
      side: "pushpool" as const,
      leadSeconds: cfg.leadSeconds,
      instants: instants.filter((i) => i.side === "pushpool"),
      calls: proxies.pushpool.calls,
      period,
      registeredRevisions: revisions.pushpool,
      distinctSpecs: 1,
      inProcess,
    };
    const withSource = sideResult({
      ...ppSide,
      cpuIn: (from, to) => cpuBetween(samplers.pushpoolTree.samples, from, to),
      cpuNote: "",
    });
    const pp = {
      ...sideResult({
        ...ppSide,
        cpuIn: (from, to) => cpuBetween(samplers.pushpool.samples, from, to),
        cpuNote:
          "the one Node process running the dispatch handler's emulated Lambda instances (the function, " +
          "what Lambda bills), without the emulated SQS event source (its own process: pollers, batching, deletes, " +
          "which AWS runs; counted in the next row). " +
          `The tick handler runs in the bench process and is not counted here (${fmt1(avg(ticks.map((t) => t.cpuMs)))} ms CPU per tick).`,
      }),
      withEventSource: {
        windowCpuSeconds: withSource.windowCpuSeconds,
        runsPerCpuSecond: withSource.runsPerCpuSecond,
      },
    };
    const wk = sideResult({
      side: "worker",
      leadSeconds: WORKER_PREFETCH_SECONDS,
      instants: instants.filter((i) => i.side === "worker"),
      calls: proxies.worker.calls,
      cpuIn: (from, to) => cpuBetween(samplers.worker.samples, from, to),
      period,
      registeredRevisions: revisions.worker,
      distinctSpecs: 1,
      cpuNote: "the `prefect worker` process tree (its polling, heartbeats and submissions).",
    });
    const versions = venvVersions();

    // Both sides and the servers stopped: the machine is quiet for the cold starts.
    child = undefined;
    const wkLog = worker.tail(40);
    worker = undefined;
    await Promise.all([proxies.pushpool.close(), proxies.worker.close()]);
    await Promise.all([server.stop(), moto.stop()]);
    if (cfg.bundles) bundles = await measureBundles({ rounds: cfg.bundleRounds, log });

    const dispatchRequests = prefectRequests(result.prefectTrips, tickTrips, instants, pp.scheduled);
    const ids = (side: Side) => instants.filter((i) => i.side === side).flatMap((i) => i.runIds);
    const workerRequests = requestsPerRun(workerApi.trips, ids("worker"), wk.scheduled, [
      "GET /deployments/{id}",
      "GET /flows/{id}",
    ]);
    const goals = checkGoals(pp, wk, bundles, dispatchRequests);
    const variant = process.env.BENCH_AWS_VARIANT
      ? ` EXPERIMENT BENCH_AWS_VARIANT=${process.env.BENCH_AWS_VARIANT}: the dispatch handler is modified (see bench/awsDispatcher.ts); not pushpool as shipped.`
      : "";
    const spacing =
      `${cfg.instants} instants × ${cfg.runsPerInstant} runs per side (all runs of an instant scheduled for the same second). ` +
      `pushpool's windows (scheduled − lead) every ${cfg.intervalSeconds} s, the worker's ${cfg.workerOffsetSeconds} s after each, ` +
      "so the two sides' dispatch bursts do not share the CPUs; " +
      `the tick (every ${TICK_SECONDS} s) fires ${cfg.tickBeforeSeconds} s before each pushpool window, outside both sides' bursts.${variant}`;
    const setup =
      `One moto (${versions.moto}) and one Prefect server (${versions.prefect}); each side's AWS endpoint is a recording proxy in front of moto. ` +
      `pushpool: real tick + dispatch handlers, lead ${cfg.leadSeconds} s (${process.env.PUSHPOOL_LEAD_SECONDS ? "PUSHPOOL_LEAD_SECONDS" : "pushpool's ECS default"}); ` +
      `the dispatch handler runs on ${fnNode.note}; ` +
      `SQS event source emulated with ${cfg.pollers} pollers = ${cfg.pollers} Lambda instances, batch ${cfg.batchSize}, batching window ${cfg.batchWindowSeconds} s, long polling. ` +
      `Prefect worker: \`prefect worker start --type ecs\` (prefect-aws ${versions.prefectAws}), default settings (poll 10 s, prefetch 10 s). ` +
      `${cpus().length} CPUs, load average ${load0} before the instants and ${load1} after.`;
    const notes = {
      pushpool: `dispatch handler, ${cfg.pollers} emulated Lambda instances`,
      worker: "`prefect worker start --type ecs`",
    };
    const table = markdown(pp, wk, bundles, goals, notes);
    const kinds = requestsTable([
      { name: "pushpool (tick + dispatch handler)", result: dispatchRequests.requests },
      { name: "Prefect ECS worker", result: workerRequests },
    ]);
    process.stdout.write(
      `\n## pushpool on AWS (Lambda handlers) vs Prefect's ECS worker\n\n${spacing}\n${setup}\n\n${table}\n\n${kinds}\n` +
        (dispatchRequests.sequential
          ? `\nSequential Prefect round trips per dispatch, up to the pid PATCH (median / max): ${fmt1(dispatchRequests.sequential.p50)} / ${fmt1(dispatchRequests.sequential.max)}` +
            ` over ${dispatchRequests.dispatches} dispatches (BENCH_AWS_TRACE=1: this run's CPU figures include AsyncLocalStorage's cost). Typical: ${dispatchRequests.typicalChain.map((step) => step.join(" ‖ ")).join(" → ")}\n`
          : "\nSequential round trips per dispatch: not traced in this run (`BENCH_AWS_TRACE=1` traces them, at a CPU cost; `npm run bench` always does).\n"),
    );
    if (result.errors.length)
      process.stdout.write(
        `\nThe dispatcher reported ${result.errors.length} error(s); first: ${result.errors[0]}\n`,
      );
    const regs = result.registrations;
    if (regs.length > 1) {
      const span = Math.max(...regs.map((r) => r.at)) - Math.min(...regs.map((r) => r.at));
      process.stdout.write(
        `\npushpool's ${regs.length} RegisterTaskDefinition calls came from ${new Set(regs.map((r) => r.instance)).size} ` +
          `different Lambda instances within ${span} ms (each instance's registry is single-flight; concurrent cold ` +
          "instances each found no revision with the spec's hash and registered one).\n",
      );
    }
    const trips = new Map<string, number[]>();
    for (const t of result.prefectTrips) {
      const key = `${t.method} ${t.path}`;
      trips.set(key, [...(trips.get(key) ?? []), t.end - t.start]);
    }
    process.stdout.write(
      `\npushpool dispatch handler → Prefect API, requests (median / p95 ms) over ${pp.dispatched} runs: ${[
        ...trips.entries(),
      ]
        .sort((a, b) => b[1].length - a[1].length)
        .map(([k, v]) => `${k} ×${v.length} (${fmt1(quantile(v, 0.5))} / ${fmt1(quantile(v, 0.95))})`)
        .join("; ")}\n`,
    );
    const failedRecords = result.invocations.reduce((s, i) => s + i.failed, 0);
    if (failedRecords)
      process.stdout.write(`\n${failedRecords} record(s) were reported as batch item failures.\n`);

    const file = writeJson(
      {
        config: cfg,
        functionNode: { version: fnNode.version, args: fnNode.args, note: fnNode.note },
        spacing,
        setup,
        versions,
        results: { pushpool: pp, worker: wk },
        bundles,
        goals,
        requestsPerRun: { pushpool: dispatchRequests.requests, worker: workerRequests },
        sequential: dispatchRequests.sequential,
        ticks,
        dispatcher: {
          invocations: result.invocations,
          registrations: result.registrations,
          errors: result.errors,
          runTasksInProcess: result.runTasks.length,
          prefectTrips: result.prefectTrips,
        },
        instants,
        proxyCalls: { pushpool: proxies.pushpool.calls, worker: proxies.worker.calls },
        cpuSamples: {
          pushpool: samplers.pushpool.samples,
          pushpoolWithEventSource: samplers.pushpoolTree.samples,
          worker: samplers.worker.samples,
        },
        workerLogTail: wkLog,
      },
      join(REPO_ROOT, "bench", "results"),
    );
    process.stdout.write(`\nJSON: ${file}\n`);
    return goals.every((g) => g.met) ? 0 : 1;
  } catch (error) {
    if (worker) log(`worker log tail:\n${worker.tail()}`);
    log(`dispatcher log tail:\n${tailOf(join(home, "dispatcher.log"))}`);
    log(`Prefect server log tail:\n${tailOf(server.logFile)}`);
    throw error;
  } finally {
    child?.kill();
    await worker?.stop();
    await Promise.all([proxies.pushpool.close(), proxies.worker.close(), workerApi.close()]).catch(() => {});
    await server.stop().catch(() => {});
    await moto.stop().catch(() => {});
    if (process.env.BENCH_AWS_KEEP)
      log(`kept ${home} (BENCH_AWS_KEEP): the dispatcher's log is dispatcher.log`);
    else rmSync(home, { recursive: true, force: true });
  }
}

/**
 * The dispatch handler's requests (each keyed to its dispatch) and the tick's, per run of pushpool's
 * side; the sequential round trips of the dispatch that recorded each run's pid.
 */
function prefectRequests(
  trips: PrefectTrip[],
  tickTrips: CountedTrip[],
  instants: Instant[],
  runs: number,
): DispatchRequests & { typicalChain: string[][] } {
  const runIds = instants.filter((i) => i.side === "pushpool").flatMap((i) => i.runIds);
  const traces = new Map<string, ReturnType<typeof dispatchTraces>[number]>();
  // Every request of the dispatch handler is caused by a run (keyed to it when traced).
  const asTrips = trips.map((t) => ({ ...t, path: t.rawPath, key: t.key ?? "dispatch" }));
  const traced = trips.some((t) => t.key !== undefined);
  const keyed = asTrips.filter((t) => t.key !== "dispatch");
  for (const t of dispatchTraces(keyed, 0)) {
    const seen = traces.get(t.runId);
    if (!seen || t.pidAtEpochMs < seen.pidAtEpochMs) traces.set(t.runId, t);
  }
  const chains = new Map<string, { chain: string[][]; n: number }>();
  for (const t of traces.values()) {
    const k = JSON.stringify(t.steps);
    chains.set(k, { chain: t.steps, n: (chains.get(k)?.n ?? 0) + 1 });
  }
  return {
    sequential: traced ? summarize([...traces.values()].map((t) => t.sequential)) : null,
    dispatches: traces.size,
    requests: requestsPerRun([...asTrips, ...tickTrips], runIds, runs),
    typicalChain: [...chains.values()].sort((a, b) => b.n - a.n)[0]?.chain ?? [],
  };
}

function avg(values: number[]): number | null {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

function fmt1(v: number | null): string {
  return v === null ? "–" : v.toFixed(0);
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
