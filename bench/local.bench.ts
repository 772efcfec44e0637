/**
 * @module
 * `npm run bench` — pushpool's local stack side by side with Prefect's own `process` worker, on
 * one real Prefect server (pinned Prefect in .venv/), on the same flow (examples/flows/hello.py).
 *
 * Method.
 * 1. One server; two `process` pools made with `prefect work-pool create` (`bench-pushpool`,
 *    `bench-worker`), one deployment of hello.py in each.
 * 2. Prefect's worker is started on `bench-worker` with its default settings, pushpool's local
 *    stack on `bench-pushpool` (tick PUSHPOOL_TICK_SECONDS, default here 5; lead
 *    PUSHPOOL_LEAD_SECONDS, default pushpool's own 15 for `process`: five flow processes started
 *    together on 2 cores take 6–12 s from spawn to Running).
 *    The horizon is raised to tick + margin + lead when the default is shorter.
 * 3. All runs are created up front, SCHEDULED at known times ≥ BENCH_SCHEDULE_AHEAD_SECONDS ahead,
 *    in groups that alternate between the sides (bench/plan.ts), so that on a small machine each
 *    group's flow processes mostly have the CPU to themselves.
 * 4. Once every run is terminal: lateness and claim times from the API (bench/report.ts), round
 *    trips from pushpool's traced client and from a recording proxy in front of the worker
 *    (bench/roundTrips.ts, bench/apiProxy.ts), dispatcher CPU of each side.
 * Prints a markdown table on stdout (progress on stderr), writes bench/results/local-<time>.json,
 * exits 1 when a goal is missed (after printing everything).
 *
 * Settings: BENCH_RUNS (per side, default 50), BENCH_GROUP_SIZE (5), BENCH_GROUP_INTERVAL_SECONDS
 * (43), BENCH_SIDE_OFFSET_SECONDS (15), BENCH_SCHEDULE_AHEAD_SECONDS (30), BENCH_SETTLE_SECONDS
 * (180), PUSHPOOL_TICK_SECONDS (5), PUSHPOOL_LEAD_SECONDS (15), PUSHPOOL_HORIZON_SECONDS,
 * PUSHPOOL_PEER_DB (sqlite, or postgres: the Prefect server on a private PostgreSQL cluster).
 * Quick smoke: `BENCH_RUNS=10 npx tsx bench/local.bench.ts`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PROCESS_LEAD_SECONDS } from "../core/backends/process/index.ts";
import { systemClock } from "../core/ports/clock.ts";
import { withReadCache } from "../core/prefect/readCache.ts";
import { TICK_MARGIN_SECONDS } from "../core/runs/tick.ts";
import { loadConfig } from "../core/runtime/config.ts";
import { consoleLogger } from "../functions/local/logger.ts";
import { peerDatabase } from "../functions/local/postgresServer.ts";
import { REPO_ROOT, startPrefectServer, VENV_BIN } from "../functions/local/prefectServer.ts";
import { type LocalStack, startLocalStack } from "../functions/local/stack.ts";
import { type ApiProxy, startApiProxy } from "./apiProxy.ts";
import { planRuns, readBenchConfig, type Side } from "./plan.ts";
import { firstStateAt, Rest } from "./prefectSetup.ts";
import { countingLogger, record, roundTripResult, workerRoundTripResult } from "./records.ts";
import { checkGoals, markdown, type RunRecord, sideResult, writeJson } from "./report.ts";
import { requestsPerRun, requestsTable } from "./requestKinds.ts";
import { breakdown, type DispatchTrace, dispatchTraces, TracingClient, workerTraces } from "./roundTrips.ts";
import { startWorker, type WorkerProcess } from "./workerProcess.ts";

const POOLS: Record<Side, string> = { pushpool: "bench-pushpool", worker: "bench-worker" };
const log = (s: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

async function main(): Promise<number> {
  const bench = readBenchConfig(process.env);
  const tickSeconds = process.env.PUSHPOOL_TICK_SECONDS || "5";
  // Lead: pushpool's own default for `process` (it covers a group's start-up under CPU contention,
  // measured 6–12 s here); PUSHPOOL_LEAD_SECONDS overrides it.
  const leadSeconds = Number(process.env.PUSHPOOL_LEAD_SECONDS || PROCESS_LEAD_SECONDS);
  // The tick itself never looks less far ahead than tick + margin + lead; shown here for the report.
  const minHorizon = Number(tickSeconds) + TICK_MARGIN_SECONDS + leadSeconds;
  const horizonSeconds =
    process.env.PUSHPOOL_HORIZON_SECONDS || String(Math.max(2 * Number(tickSeconds), 10, minHorizon));

  const database = peerDatabase(); // PUSHPOOL_PEER_DB=sqlite|postgres
  log(`starting the Prefect server (on ${database})…`);
  const server = await startPrefectServer({ database });
  const clientHome = mkdtempSync(join(tmpdir(), "pushpool-bench-client-"));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
    PREFECT_API_URL: server.apiUrl,
    PREFECT_HOME: clientHome,
  };
  let worker: WorkerProcess | undefined;
  let stack: LocalStack | undefined;
  let proxy: ApiProxy | undefined;
  try {
    const rest = new Rest(server.apiUrl);
    log(`Prefect API ${server.apiUrl}; creating pools with the Prefect CLI…`);
    rest.createProcessPool(POOLS.pushpool, env);
    rest.createProcessPool(POOLS.worker, env);
    // The worker talks through a recording proxy; its flow processes go straight to the server
    // (the job's env wins over the worker's own settings), as pushpool's do.
    proxy = await startApiProxy(server.apiUrl);
    const deployments: Record<Side, string> = {
      pushpool: await rest.createDeployment(POOLS.pushpool, "bench-pushpool"),
      worker: await rest.createDeployment(POOLS.worker, "bench-worker", {
        env: { PREFECT_API_URL: server.apiUrl },
      }),
    };

    log("starting `prefect worker start --type process` (default settings)…");
    worker = await startWorker({
      pool: POOLS.worker,
      env: { ...env, PREFECT_API_URL: proxy.apiUrl },
      apiUrl: server.apiUrl,
      logFile: join(clientHome, "worker.log"),
    });

    const stackEnv = {
      ...env,
      PUSHPOOL_POOLS: POOLS.pushpool,
      PUSHPOOL_TICK_SECONDS: tickSeconds,
      PUSHPOOL_HORIZON_SECONDS: horizonSeconds,
      PUSHPOOL_LEAD_SECONDS: String(leadSeconds),
    };
    const config = loadConfig(stackEnv);
    const { logger, problems } = countingLogger(consoleLogger({ level: "warn" }));
    const tracing = new TracingClient({ apiUrl: server.apiUrl, logger });
    // The read cache `pushpool local` puts in front of its client (functions/local/stack.ts).
    const api = withReadCache(tracing, { clock: systemClock });
    stack = await startLocalStack({ config, env: stackEnv, logger, api, write: () => {} });
    log(
      `local stack up: tick ${config.tickSeconds} s, horizon ${config.horizonSeconds} s, lead ${leadSeconds} s`,
    );

    const plan = planRuns(bench, Date.now() + (bench.aheadSeconds + 5) * 1000);
    const created = new Map<string, { side: Side; group: number; name: string }>();
    for (const p of plan) {
      const run = await rest.createScheduledRun(deployments[p.side], p.name, p.scheduled);
      created.set(run.id, p);
    }
    const lastDue = Math.max(...plan.map((p) => p.scheduled.getTime()));
    log(`${plan.length} runs created; the last is due in ${Math.round((lastDue - Date.now()) / 1000)} s`);

    const load0 = loadavg()[0]?.toFixed(2);
    const cpu0 = process.cpuUsage();
    const workerCpu0 = worker.cpuSeconds();
    const windowStart = Date.now();
    const finalRuns = await rest.waitTerminal(
      Object.values(deployments),
      plan.length,
      lastDue + bench.settleSeconds * 1000,
    );
    const cpu = process.cpuUsage(cpu0);
    const workerCpu1 = worker.cpuSeconds();
    const windowSeconds = (Date.now() - windowStart) / 1000;
    log(`all runs settled after ${Math.round(windowSeconds)} s; reading state histories…`);
    await worker.stop();
    await sleep(2000); // let the last flow processes exit and their exits be reported
    await stack.stop();

    const traces = new Map<string, DispatchTrace>();
    for (const t of dispatchTraces(tracing.trips)) {
      const seen = traces.get(t.runId);
      if (!seen || t.pidAtEpochMs < seen.pidAtEpochMs) traces.set(t.runId, t);
    }
    const records: RunRecord[] = [];
    for (const run of finalRuns) {
      const p = created.get(run.id);
      if (!p) continue;
      const states = await rest.states(run.id);
      records.push(record(run, p, firstStateAt(states, "PENDING"), traces.get(run.id)));
    }

    const ppCpu = (cpu.user + cpu.system) / 1e6;
    const wkCpu = workerCpu0 !== null && workerCpu1 !== null ? workerCpu1 - workerCpu0 : null;
    const pp = sideResult(
      "pushpool",
      records,
      ppCpu,
      `whole bench process (local stack + the bench's own polling), ${Math.round(windowSeconds)} s window: an upper bound`,
    );
    const wk = sideResult(
      "worker",
      records,
      wkCpu,
      `the \`prefect worker\` process itself (utime+stime, children excluded), same ${Math.round(windowSeconds)} s window`,
    );
    const roundTrips = roundTripResult([...traces.values()], records, tracing.trips.length, pp.scheduled);
    const workerIds = records.filter((r) => r.side === "worker").map((r) => r.id);
    const wTraces = workerTraces(proxy.trips, workerIds);
    const requestCounts = { pushpool: breakdown(tracing.trips), worker: breakdown(proxy.trips) };
    const workerTrips = workerRoundTripResult(
      wTraces,
      requestCounts.worker,
      proxy.trips.length,
      wk.scheduled,
    );
    const idsOf = (side: Side) => records.filter((r) => r.side === side).map((r) => r.id);
    const perRun = {
      pushpool: requestsPerRun(tracing.trips, idsOf("pushpool"), pp.scheduled),
      // The worker reads the deployment and the flow for each run it submits.
      worker: requestsPerRun(proxy.trips, idsOf("worker"), wk.scheduled, [
        "GET /deployments/{id}",
        "GET /flows/{id}",
      ]),
    };
    const goals = checkGoals(pp, wk, roundTrips, perRun.pushpool);

    const spacing =
      `${bench.runs} runs per side in groups of ${bench.groupSize} (all runs of a group due at the same second); ` +
      `a pushpool group every ${bench.intervalSeconds} s and a worker group ${bench.offsetSeconds} s after each; ` +
      `first group ${bench.aheadSeconds + 5} s after the runs were created.`;
    const setup =
      `pushpool: tick ${config.tickSeconds} s, horizon ${config.horizonSeconds} s, lead ${leadSeconds} s ` +
      `(pushpool's built-in default for process: ${PROCESS_LEAD_SECONDS} s). ` +
      "Prefect worker: `prefect worker start --type process`, default settings (poll 10 s, prefetch 10 s). " +
      `Prefect ${await serverVersion(server.apiUrl)}, ${cpus().length} CPUs, ` +
      `load average ${load0} before the runs and ${loadavg()[0]?.toFixed(2)} after.`;
    const table = markdown(pp, wk, roundTrips, workerTrips, goals);
    const kinds = requestsTable([
      { name: "pushpool local stack", result: perRun.pushpool },
      { name: "Prefect `process` worker", result: perRun.worker },
    ]);
    process.stdout.write(
      `\n## pushpool local stack vs Prefect process worker\n\n${spacing}\n${setup}\n\n${table}\n\n${kinds}\n`,
    );
    if (problems.length)
      process.stdout.write(
        `\npushpool logged ${problems.length} warning(s)/error(s); first: ${problems[0]}\n`,
      );

    const file = writeJson(
      {
        bench,
        pushpool: { tickSeconds: config.tickSeconds, horizonSeconds: config.horizonSeconds, leadSeconds },
        spacing,
        setup,
        results: { pushpool: pp, worker: wk, roundTrips, workerRoundTrips: workerTrips },
        requestCounts,
        requestsPerRun: perRun,
        workerDispatches: wTraces,
        goals,
        problems,
        runs: records,
      },
      join(REPO_ROOT, "bench", "results"),
    );
    process.stdout.write(`\nJSON: ${file}\n`);
    return goals.every((g) => g.met) ? 0 : 1;
  } catch (error) {
    if (worker) log(`worker log tail:\n${worker.tail()}`);
    log(`Prefect server log tail:\n${tailOf(server.logFile)}`);
    throw error;
  } finally {
    await worker?.stop();
    await stack?.stop();
    await proxy?.close();
    await server.stop();
    rmSync(clientHome, { recursive: true, force: true });
  }
}

async function serverVersion(apiUrl: string): Promise<string> {
  const res = await fetch(`${apiUrl}/admin/version`);
  return res.ok ? String(await res.json()) : "unknown";
}

function tailOf(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").slice(-40).join("\n") : "(no log)";
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
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
