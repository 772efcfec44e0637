import { describe, expect, it } from "vitest";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { LogCreate } from "../../../core/prefect/types.ts";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { reportExit } from "../../../core/runs/report.ts";
import { RUN_LOG_RETRIES, RUN_LOGGER, RunLog, withRunLogsHeld } from "../../../core/runs/runLogs.ts";
import { SubmitError } from "../../../core/shared/errors.ts";
import { FakePrefect } from "../fakes/fakePrefect.ts";
import { FakeClock, makeDeps } from "../fakes/ports.ts";

function setup() {
  const api = new FakePrefect();
  api.addPool("pool");
  const env = makeDeps(api);
  const run = api.addRun(api.addDeployment("pool"), env.clock.now());
  const msg = { v: 1, kind: "dispatch", flowRunId: run.id, pool: "pool", source: "test" } as const;
  return { api, run, msg, ...env };
}

const brief = (logs: LogCreate[]) => logs.map((l) => [l.name, l.level, l.message]);

describe("RunLog", () => {
  it("stamps lines in order, 1 ms apart when the clock stands still, under Prefect's worker logger", () => {
    const log = new RunLog("r1", new FakeClock(Date.parse("2026-11-28T12:00:00Z")));
    log.info("a");
    log.warning("b");
    log.error("c");
    expect(log.lines.map((l) => [l.name, l.level, l.timestamp, l.flow_run_id])).toEqual([
      [RUN_LOGGER, 20, "2026-11-28T12:00:00.000Z", "r1"],
      [RUN_LOGGER, 30, "2026-11-28T12:00:00.001Z", "r1"],
      [RUN_LOGGER, 40, "2026-11-28T12:00:00.002Z", "r1"],
    ]);
  });

  it("flushes in one POST, never retried, then forgets the lines", async () => {
    const api = new FakePrefect();
    const log = new RunLog("r1");
    log.info("a");
    log.info("b");
    await log.flush({ api, logger: silentLogger });
    await log.flush({ api, logger: silentLogger });
    expect(api.calls).toEqual([`createLogs 2 maxRetries=${RUN_LOG_RETRIES}`]);
    expect(RUN_LOG_RETRIES).toBe(0);
  });

  it("lines flushed while a POST is in flight travel together in the next one", async () => {
    const sent: string[][] = [];
    let release = () => {};
    const api = {
      createLogs: (logs: LogCreate[]) => {
        sent.push(logs.map((l) => `${l.flow_run_id} ${l.message}`));
        return sent.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    };
    const logs = ["r1", "r2", "r3"].map((id) => {
      const log = new RunLog(id);
      log.info(`hello ${id}`);
      return log;
    });
    const first = logs[0]?.flush({ api, logger: silentLogger });
    const rest = logs.slice(1).map((log) => log.flush({ api, logger: silentLogger }));
    expect(sent).toEqual([["r1 hello r1"]]);
    release();
    await Promise.all([first, ...rest]);
    expect(sent).toEqual([["r1 hello r1"], ["r2 hello r2", "r3 hello r3"]]);
  });

  it("a refused shared POST is reported for each run whose lines it carried", async () => {
    const warned: unknown[] = [];
    const logger = { ...silentLogger, warn: (_m: string, f?: unknown) => warned.push(f) };
    let calls = 0;
    let release = () => {};
    const api = {
      createLogs: () => {
        calls++;
        return calls === 1
          ? new Promise<void>((r) => (release = r))
          : Promise.reject(new Error("503 Service Unavailable"));
      },
    };
    const [a, b, c] = ["a", "b", "c"].map((id) => {
      const log = new RunLog(id);
      log.info("x");
      return log;
    });
    const flushes = [a, b, c].map((log) => log?.flush({ api, logger }));
    release();
    await Promise.all(flushes);
    expect(calls).toBe(2);
    expect(warned).toEqual([
      { flowRunId: "b", lines: 1, error: expect.stringContaining("503") },
      { flowRunId: "c", lines: 1, error: expect.stringContaining("503") },
    ]);
  });

  it("withRunLogsHeld: lines flushed during the work wait for its end, then go in one POST", async () => {
    const sent: string[][] = [];
    const api = {
      createLogs: async (logs: LogCreate[]) => {
        sent.push(logs.map((l) => `${l.flow_run_id} ${l.message}`));
      },
    };
    const result = await withRunLogsHeld(api, async () => {
      await Promise.all(
        ["r1", "r2", "r3"].map(async (id) => {
          const log = new RunLog(id);
          log.info(`hello ${id}`);
          await log.flush({ api, logger: silentLogger }); // returns at once: kept
        }),
      );
      expect(sent).toEqual([]);
      return "done";
    });
    expect(result).toBe("done");
    expect(sent).toEqual([["r1 hello r1", "r2 hello r2", "r3 hello r3"]]);
    // Outside a hold, a flush sends at once again.
    const later = new RunLog("r4");
    later.info("x");
    await later.flush({ api, logger: silentLogger });
    expect(sent).toHaveLength(2);
  });

  it("withRunLogsHeld: overlapping holds send when the last ends; a failing work still sends, then throws", async () => {
    const sent: string[] = [];
    const api = {
      createLogs: async (logs: LogCreate[]) => {
        sent.push(logs.map((l) => l.flow_run_id).join(","));
      },
    };
    let endInner = () => {};
    const inner = withRunLogsHeld(api, async () => {
      const log = new RunLog("inner");
      log.info("x");
      await log.flush({ api, logger: silentLogger });
      await new Promise<void>((r) => (endInner = r));
    });
    await expect(
      withRunLogsHeld(api, async () => {
        const log = new RunLog("outer");
        log.info("x");
        await log.flush({ api, logger: silentLogger });
        throw new Error("batch failed");
      }),
    ).rejects.toThrow("batch failed");
    expect(sent).toEqual([]); // the inner hold is still open
    endInner();
    await inner;
    expect(sent).toEqual(["inner,outer"]);
  });

  it("withRunLogsHeld: a refused POST is reported for each run it carried, never thrown", async () => {
    const warned: unknown[] = [];
    const logger = { ...silentLogger, warn: (_m: string, f?: unknown) => warned.push(f) };
    const api = { createLogs: () => Promise.reject(new Error("503 Service Unavailable")) };
    await withRunLogsHeld(api, async () => {
      for (const id of ["a", "b"]) {
        const log = new RunLog(id);
        log.info("x");
        log.info("y");
        await log.flush({ api, logger });
      }
    });
    expect(warned).toEqual([
      { flowRunId: "a", lines: 2, error: expect.stringContaining("503") },
      { flowRunId: "b", lines: 2, error: expect.stringContaining("503") },
    ]);
  });

  it("never throws: a refused POST is reported on the logger", async () => {
    const warned: unknown[] = [];
    const log = new RunLog("r1");
    log.info("a");
    const api = { createLogs: () => Promise.reject(new Error("503 Service Unavailable")) };
    await log.flush({ api, logger: { ...silentLogger, warn: (m, f) => warned.push([m, f]) } });
    expect(warned).toEqual([
      [
        "could not write the flow run's logs",
        { flowRunId: "r1", lines: 1, error: expect.stringContaining("503") },
      ],
    ]);
  });
});

describe("dispatch writes the run's logs", () => {
  it("submitting, then submitted with the infrastructure and pid, in one POST after the pid", async () => {
    const { api, run, msg, deps } = setup();
    const outcome = await dispatch(msg, deps);
    if (outcome.outcome !== "submitted") throw new Error(outcome.outcome);
    expect(brief(api.logs)).toEqual([
      [RUN_LOGGER, 20, `pushpool submitting flow run '${run.id}' to fake infrastructure`],
      [RUN_LOGGER, 20, `Submitted flow run '${run.name}' to fake infrastructure ${outcome.pid}`],
    ]);
    expect(api.calls.filter((c) => c.startsWith("createLogs"))).toHaveLength(1);
    expect(api.calls.indexOf(`setInfrastructurePid ${run.id}`)).toBeLessThan(
      api.calls.findIndex((c) => c.startsWith("createLogs")),
    );
  });

  it("a failed submission logs why, at error, and the run crashes", async () => {
    const { api, run, msg, deps, backend } = setup();
    backend.failWith = new SubmitError("FileNotFoundError: no such file");
    expect(await dispatch(msg, deps)).toMatchObject({ outcome: "crashed" });
    expect(brief(api.logs)).toEqual([
      [RUN_LOGGER, 20, `pushpool submitting flow run '${run.id}' to fake infrastructure`],
      [
        RUN_LOGGER,
        40,
        `Failed to submit flow run '${run.name}' to fake infrastructure: SubmitError: FileNotFoundError: no such file`,
      ],
    ]);
  });

  it("a dispatch whose logs POST fails still reports submitted", async () => {
    const { api, msg, deps } = setup();
    api.createLogs = () => Promise.reject(new Error("503"));
    expect(await dispatch(msg, deps)).toMatchObject({ outcome: "submitted" });
  });

  it("a skipped dispatch writes nothing to the run's logs", async () => {
    const { api, run, msg, deps } = setup();
    await api.setState(run.id, { type: "RUNNING", name: "Running", message: null, state_details: {} });
    expect(await dispatch(msg, deps)).toMatchObject({ outcome: "skipped" });
    expect(api.logs).toEqual([]);
  });
});

describe("reportExit writes the crash to the run's logs", () => {
  it("the reason and the last output, once, in one POST", async () => {
    const { api, run } = setup();
    api.runs.set(run.id, {
      ...run,
      infrastructure_pid: "h:1",
      state: { id: "s", type: "RUNNING", name: "Running", state_details: {} },
      state_type: "RUNNING",
    });
    const exit = { flowRunId: run.id, pid: "h:1", exitCode: 3, output: ["Traceback", "boom"] };
    expect(await reportExit(exit, { api, logger: silentLogger })).toBe("crashed");
    expect(await reportExit(exit, { api, logger: silentLogger })).toBe("untouched");
    expect(brief(api.logs)).toEqual([
      [
        RUN_LOGGER,
        40,
        expect.stringMatching(/^Flow run infrastructure exited with non-zero status code 3\. /),
      ],
      [RUN_LOGGER, 40, "Last 2 line(s) of the output of h:1:\nTraceback\nboom"],
    ]);
    expect(api.calls.filter((c) => c.startsWith("createLogs"))).toHaveLength(1);
  });

  it("writes nothing when the run is left untouched", async () => {
    const { api, run } = setup();
    const exit = { flowRunId: run.id, pid: "h:1", exitCode: 0, output: ["fine"] };
    api.runs.set(run.id, {
      ...run,
      state_type: "COMPLETED",
      state: { id: "s", type: "COMPLETED", name: "Completed", state_details: {} },
    });
    expect(await reportExit(exit, { api, logger: silentLogger })).toBe("untouched");
    expect(api.logs).toEqual([]);
  });
});
