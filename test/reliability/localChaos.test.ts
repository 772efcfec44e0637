/**
 * Reliability on the local stack: pushpool's Prefect client talks to the real server through the
 * fault proxy (≥ 5 % of requests faulted, lost-after-apply on set_state among them) while the
 * dispatcher itself crashes after claims and submits. After ticks and reconciles run until quiet,
 * the promise must hold: every run finished (Completed / Cancelled / Crashed with a reason), none
 * Pending or due-and-Scheduled, at most one process per run, every message acknowledged or
 * dead-lettered with a reason.
 *
 * Replay a run with `CHAOS_SEED=<seed>` (printed in the table).
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import type { MessageOutcome } from "../../core/runtime/handleMessage.ts";
import { VENV_BIN } from "../../functions/local/prefectServer.ts";
import { type LocalStack, startLocalStack } from "../../functions/local/stack.ts";
import { apiUrl, createDeployment, createProcessPool, createRun } from "../e2e/harness.ts";
import {
  crashInjector,
  diagnose,
  poolRuns,
  processesByRun,
  table,
  timedLogger,
  verdict,
  writeFlowScript,
} from "./chaosKit.ts";
import { type FaultProxy, startFaultProxy } from "./faultProxy.ts";

const SEED = Number(process.env.CHAOS_SEED ?? 20_261_128);
const TRIGGERED = 14; // cheap runs created by trigger messages (through the proxy)
const SCHEDULED = 8; // cheap runs created directly, found by the tick
const REAL = 3; // runs of the real `hello` flow (python -m prefect.engine, ~1.5 s CPU each)
const DEADLINE_MS = 70_000;

let proxy: FaultProxy | undefined;
let stack: LocalStack | undefined;
afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
});

describe("local stack under injected faults", () => {
  it("dispatches every run exactly once, loses none and leaves none stuck", async () => {
    const started = Date.now();
    proxy = await startFaultProxy({
      upstream: apiUrl(),
      seed: SEED,
      latencyMs: 2_500, // beyond the client's 2 s timeout
      retryAfterSeconds: 1,
      rules: [
        {
          method: "POST",
          path: /\/set_state$/,
          rates: { lostAfterApply: 0.1, status503: 0.03, reset: 0.03, truncate: 0.02 },
        },
      ],
      rates: {
        status500: 0.01,
        status502: 0.015,
        status503: 0.015,
        status429: 0.01,
        reset: 0.015,
        truncate: 0.01,
        latency: 0.005,
        lostAfterApply: 0.015,
      },
    });
    const origin = performance.now();
    const crashes = crashInjector(SEED, 0.1);
    const { script, log } = writeFlowScript();
    const pool = await createProcessPool();
    const env: Record<string, string | undefined> = {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
      PREFECT_API_URL: apiUrl(), // what flow processes use: straight to the server
      PUSHPOOL_POOLS: pool,
      PUSHPOOL_TICK_SECONDS: "1",
      PUSHPOOL_START_TIMEOUT_SECONDS: "10",
      CHAOS_LOG: log,
    };
    const outcomes: Array<MessageOutcome | { kind: "error"; error: string }> = [];
    const logger = timedLogger(origin);
    stack = await startLocalStack({
      config: loadConfig(env),
      env,
      logger,
      autoTick: false,
      api: prefectClientFromEnv({ ...env, PREFECT_API_URL: proxy.url }, { timeoutMs: 2_000 }),
      faults: crashes.faults,
      queue: { retryDelayMs: 200, maxReceives: 5 },
      onOutcome: (o) => outcomes.push(o),
      write: () => {},
    });

    const cheap = await createDeployment({ pool, jobVariables: { command: `sh ${script}` } });
    const real = await createDeployment({ pool, jobVariables: { command: `sh ${script} real` } });
    const keys = Array.from({ length: TRIGGERED }, () => `chaos-${randomUUID()}`);
    // Direct set-up first: once the triggers flow, the server's SQLite is busy (503s to us too).
    for (let i = 0; i < SCHEDULED; i++) await createRun(cheap.id);
    for (let i = 0; i < REAL; i++) await createRun(real.id);
    for (const idempotencyKey of keys)
      await stack.deps.queue.send({
        v: 1,
        kind: "trigger",
        deployment: cheap.ref,
        idempotencyKey,
        source: "chaos",
      });
    const total = TRIGGERED + SCHEDULED + REAL;

    // Tick (enqueue due runs, heartbeat, reconcile) each second until every run is finished and
    // the queue is empty, or the deadline passes.
    let ticks = 0;
    let tickErrors = 0;
    let runs = await poolRuns(pool);
    for (;;) {
      await stack.tickOnce().catch(() => tickErrors++);
      ticks++;
      runs = await poolRuns(pool);
      const quiet = runs.length >= total && runs.every((r) => verdict(r) === "ok") && stack.queue.depth === 0;
      if (quiet || Date.now() - started > DEADLINE_MS) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await stack.queue.idle();

    const processes = processesByRun(log);
    const byState = new Map<string, number>();
    for (const r of runs) byState.set(r.state_type ?? "?", (byState.get(r.state_type ?? "?") ?? 0) + 1);
    const stuck = runs.filter((r) => verdict(r) === "stuck");
    const lost = runs.filter((r) => verdict(r) === "lost");
    const duplicated = [...processes.entries()].filter(([, pids]) => pids.length > 1);
    const handled = outcomes.filter((o) => o.kind !== "error").length;
    const redundant = outcomes.filter(
      (o) => o.kind === "dispatch" && o.result.outcome === "skipped" && /claim|run is/.test(o.result.reason),
    ).length;
    const { requests, faulted } = proxy.stats();
    const setStateLost = proxy.events.filter(
      (e) => e.route.endsWith("/set_state") && e.fault === "lostAfterApply",
    ).length;
    const faultRows = Object.entries(proxy.counters)
      .filter(([k, n]) => k !== "passed" && n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    console.info(
      table(`local chaos — seed ${SEED}, ${((Date.now() - started) / 1000).toFixed(1)} s, ${ticks} ticks`, [
        ["runs", `${runs.length} of ${total} (${[...byState].map(([s, n]) => `${s} ${n}`).join(", ")})`],
        [
          "requests via proxy",
          `${requests}, faulted ${faulted} (${((100 * faulted) / requests).toFixed(1)} %)`,
        ],
        ["faults by kind", faultRows],
        ["lost-after-apply on set_state", setStateLost],
        [
          "dispatcher crashes",
          `after claim ${crashes.counts.afterClaim}/${crashes.counts.claims}, after submit ${crashes.counts.afterSubmit}/${crashes.counts.submits}`,
        ],
        [
          "queue",
          `sent ${stack.queue.stats.sent}, delivered ${stack.queue.stats.delivered}, redelivered ${stack.queue.stats.redelivered}, dead-lettered ${stack.queue.deadLetters.length}`,
        ],
        ["duplicate deliveries absorbed", redundant],
        ["processes", `${stack.backend.started.length} (runs with > 1: ${duplicated.length})`],
        ["lost", lost.length],
        ["stuck", stuck.length],
        ["tick errors", tickErrors],
      ]),
    );
    for (const id of new Set([
      ...duplicated.map(([id]) => id),
      ...stuck.map((r) => r.id),
      ...lost.map((r) => r.id),
    ]))
      console.info(await diagnose(id, proxy.events, logger.lines));
    const describe = (rs: typeof runs) =>
      rs.map((r) => `${r.id} ${r.state_type}/${r.state_name}: ${r.state?.message ?? ""}`);

    // The chaos was real.
    expect(faulted / requests).toBeGreaterThanOrEqual(0.05);
    expect(setStateLost).toBeGreaterThanOrEqual(1);
    expect(crashes.counts.afterClaim + crashes.counts.afterSubmit).toBeGreaterThanOrEqual(
      Math.max(1, crashes.counts.claims / 20),
    );
    // Never lost, never stuck: one run per trigger key, every run finished.
    expect(runs).toHaveLength(total);
    expect(new Set(runs.map((r) => r.idempotency_key).filter((k) => k?.startsWith("chaos-")))).toEqual(
      new Set(keys),
    );
    expect(describe(stuck)).toEqual([]);
    expect(describe(lost)).toEqual([]);
    // Exactly once: at most one process per run, and the pid Prefect has is the one that ran.
    expect(duplicated).toEqual([]);
    expect(stack.backend.started.length).toBe([...processes.values()].flat().length);
    for (const r of runs)
      if (r.infrastructure_pid) expect(stack.backend.started).toContain(r.infrastructure_pid);
    // Every message acknowledged, or dead-lettered with a reason.
    expect(stack.queue.depth).toBe(0);
    expect(handled + stack.queue.deadLetters.length).toBe(stack.queue.stats.sent);
    for (const d of stack.queue.deadLetters) expect(d.error).toMatch(/\S/);
  }, 90_000);
});
