/**
 * What a person reads in the flow run's logs in the Prefect UI, against a real Prefect server:
 * the lines a dispatch writes (as Prefect's worker writes them under `prefect.flow_runs.worker`)
 * and a crash's reason and output, read back through POST /logs/filter.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dispatch } from "../../core/runs/dispatch.ts";
import { RUN_LOGGER } from "../../core/runs/runLogs.ts";
import {
  createDeployment,
  createProcessPool,
  createRun,
  localStack,
  rest,
  TERMINAL,
  waitForState,
} from "./harness.ts";

interface Log {
  name: string;
  level: number;
  message: string;
  timestamp: string;
}

let pool: string;
let stack: Awaited<ReturnType<typeof localStack>>;

beforeAll(async () => {
  pool = await createProcessPool();
  stack = await localStack({ pools: [pool] });
});
afterAll(async () => {
  await stack?.stop();
});

const msg = (flowRunId: string) => ({ v: 1, kind: "dispatch", flowRunId, pool, source: "test" }) as const;

/** pushpool's lines in the run's logs, as the UI sorts them. */
async function runLogs(flowRunId: string): Promise<[string, number, string][]> {
  const logs = await rest<Log[]>("POST", "/logs/filter", {
    logs: { flow_run_id: { any_: [flowRunId] } },
    sort: "TIMESTAMP_ASC",
  });
  return logs.filter((l) => l.name === RUN_LOGGER).map((l) => [l.name, l.level, l.message]);
}

/** Polls until the run has `count` pushpool lines (the crash report lands after the state). */
async function waitForLogs(flowRunId: string, count: number): Promise<[string, number, string][]> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const logs = await runLogs(flowRunId);
    if (logs.length >= count || Date.now() > deadline) return logs;
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe("the flow run's logs in the Prefect UI", () => {
  it("a run that completes: submitting, then submitted to its process, and nothing else of ours", async () => {
    const dep = await createDeployment({ pool, parameters: { name: "ui-logs" } });
    const run = await createRun(dep.id);
    const outcome = await dispatch(msg(run.id), stack.deps);
    if (outcome.outcome !== "submitted") throw new Error(JSON.stringify(outcome));
    expect(await runLogs(run.id)).toEqual([
      [RUN_LOGGER, 20, `pushpool submitting flow run '${run.id}' to process`],
      [RUN_LOGGER, 20, `Submitted flow run '${run.name}' to process ${outcome.pid}`],
    ]);
    expect((await waitForState(run.id, TERMINAL, 150_000)).state_type).toBe("COMPLETED");
    await new Promise((r) => setTimeout(r, 500)); // let an exit report land, if one were made
    expect(await runLogs(run.id)).toHaveLength(2);
    // The flow's own logs sit beside ours (its engine sends them in the background: poll).
    let theirs = 0;
    for (let i = 0; i < 100 && theirs === 0; i++) {
      const all = await rest<Log[]>("POST", "/logs/filter", { logs: { flow_run_id: { any_: [run.id] } } });
      theirs = all.filter((l) => l.name !== RUN_LOGGER).length;
      if (theirs === 0) await new Promise((r) => setTimeout(r, 300));
    }
    expect(theirs).toBeGreaterThan(0);
  }, 240_000);

  it("a process that exits non-zero: the crash reason and its last output follow, once", async () => {
    const dep = await createDeployment({
      pool,
      jobVariables: { command: "sh -c 'echo about to fail; echo line two >&2; exit 3'" },
    });
    const run = await createRun(dep.id);
    const outcome = await dispatch(msg(run.id), stack.deps);
    if (outcome.outcome !== "submitted") throw new Error(JSON.stringify(outcome));
    expect((await waitForState(run.id, TERMINAL)).state_type).toBe("CRASHED");
    await waitForLogs(run.id, 4);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would land now
    const logs = await runLogs(run.id);
    expect(logs).toEqual([
      [RUN_LOGGER, 20, `pushpool submitting flow run '${run.id}' to process`],
      [RUN_LOGGER, 20, `Submitted flow run '${run.name}' to process ${outcome.pid}`],
      [
        RUN_LOGGER,
        40,
        expect.stringMatching(/^Flow run infrastructure exited with non-zero status code 3\. /),
      ],
      [RUN_LOGGER, 40, expect.stringMatching(/^Last 2 line\(s\) of the output of /)],
    ]);
    expect(logs[3]?.[2]).toContain("about to fail");
    expect(logs[3]?.[2]).toContain("line two");
  });

  it("a command that cannot start: submitting, then why the submission failed", async () => {
    const dep = await createDeployment({ pool, jobVariables: { command: "/nonexistent/pushpool-binary" } });
    const run = await createRun(dep.id);
    expect((await dispatch(msg(run.id), stack.deps)).outcome).toBe("crashed");
    expect(await runLogs(run.id)).toEqual([
      [RUN_LOGGER, 20, `pushpool submitting flow run '${run.id}' to process`],
      [
        RUN_LOGGER,
        40,
        expect.stringMatching(
          new RegExp(`^Failed to submit flow run '${run.name}' to process: SubmitError: FileNotFoundError`),
        ),
      ],
    ]);
  });
});
