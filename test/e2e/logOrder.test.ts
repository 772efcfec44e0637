/**
 * One line per event, in order, on the real Prefect server with a real flow process:
 * - a process that exits while its dispatch is still recording the pid is reported after
 *   "flow run submitted" (the dispatch is held until the exit could have been reported);
 * - two reports of one exit (the local exit and reconcile) log "run crashed" once.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PrefectApi } from "../../core/prefect/api.ts";
import { prefectClientFromEnv } from "../../core/prefect/fromEnv.ts";
import { reportExit } from "../../core/runs/report.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import { VENV_BIN } from "../../functions/local/prefectServer.ts";
import { type LocalStack, startLocalStack } from "../../functions/local/stack.ts";
import {
  apiUrl,
  captureLogger,
  createDeployment,
  createProcessPool,
  createRun,
  readRun,
  setState,
  TERMINAL,
  waitForState,
} from "./harness.ts";

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("console events, in order", () => {
  it("a process that exits during its dispatch is reported crashed after 'flow run submitted'", async () => {
    const pool = await createProcessPool();
    const { id: deploymentId } = await createDeployment({
      pool,
      jobVariables: { command: "sh -c 'echo gone; exit 3'" },
    });
    const run = await createRun(deploymentId);
    const env = {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`,
      PREFECT_API_URL: apiUrl(),
      PUSHPOOL_POOLS: pool,
      PUSHPOOL_TICK_SECONDS: "1",
    };
    const client = prefectClientFromEnv(env);
    // Hold the pid PATCH until the process has exited and its report had time to land (or did).
    const api = new Proxy(client, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop !== "setInfrastructurePid") return typeof value === "function" ? value.bind(target) : value;
        return async (flowRunId: string, pid: string) => {
          while (!stack || stack.running() > 0 || stack.backend.started.length === 0) await sleep(50);
          await Promise.race([
            waitForState(flowRunId, ["CRASHED"], 10_000).catch(() => undefined),
            sleep(3_000),
          ]);
          return await target.setInfrastructurePid(flowRunId, pid);
        };
      },
    }) as PrefectApi;
    const logger = captureLogger();
    stack = await startLocalStack({
      config: loadConfig(env),
      env,
      logger,
      api,
      autoTick: false,
      write: () => {},
    });
    await stack.tickOnce();
    expect((await waitForState(run.id, TERMINAL, 90_000)).state_type).toBe("CRASHED");
    const deadline = Date.now() + 30_000;
    while (!logger.lines.some((l) => l.includes("run crashed")) && Date.now() < deadline) await sleep(100);
    const events = logger.lines
      .filter((l) => l.includes(run.id) && /flow run submitted|run crashed/.test(l))
      .map((l) => l.split(" {")[0]);
    expect(events).toEqual(["info flow run submitted", "warn infrastructure exited; run crashed"]);
  });

  it("two reports of the same exit, at once: one 'run crashed' line", async () => {
    const pool = await createProcessPool();
    const { id: deploymentId } = await createDeployment({ pool });
    const run = await createRun(deploymentId);
    await setState(run.id, "PENDING", "Pending", null);
    const logger = captureLogger();
    const deps = { api: prefectClientFromEnv({ PREFECT_API_URL: apiUrl() }), logger };
    const exit = { flowRunId: run.id, pid: "host:1", exitCode: 3 };
    const outcomes = await Promise.all([reportExit(exit, deps), reportExit(exit, deps)]);
    expect(outcomes.sort()).toEqual(["crashed", "untouched"]);
    expect((await readRun(run.id)).state_type).toBe("CRASHED");
    expect(logger.lines.filter((l) => l.includes("run crashed"))).toHaveLength(1);
  });
});
