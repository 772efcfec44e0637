/**
 * Regressions for what the soak found after the first late-provisioning fix (seeds 20261128 and
 * 2): on a busy server a state's timestamp (taken when its request arrives) does not give commit
 * order, and the server may evaluate a proposal against a stale state. The InfrastructurePending
 * of a late PROVISIONING event could then take effect after the flow's Completed while its
 * timestamp sorts before Running, and the task's STOPPED event crashed the run ("exited with status
 * code 0 before the flow run started"). Whatever the order, a run that finished after its claim
 * must end in that finished state: the provisioning handler and the exit report both put it back.
 */

import { describe, expect, it } from "vitest";
import { samePid } from "../../../core/backends/ecs/pid.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { PrefectApi } from "../../../core/prefect/api.ts";
import type { FlowRun, State, StateCreate, StateType } from "../../../core/prefect/types.ts";
import { handleInfraEvent, type InfraEvent } from "../../../core/runs/infraEvents.ts";
import { reportExit } from "../../../core/runs/report.ts";

const RUN = "6f1c2b9e-1111-4222-8333-944455556666";
const PID = "c::arn:aws:ecs:us-east-1:1:task/c/t";
const st = (ts: string, type: StateType, name: string): State => ({ id: ts, type, name, timestamp: ts });
const OURS = st("3", "PENDING", "InfrastructurePending");

/** A run whose history, once our proposal is accepted, is `history` and whose current state is `current`. */
function fakeApi(history: State[], current: State, startTime: string | null = null) {
  const forced: string[] = [];
  let now: State = st("1", "PENDING", "Pending");
  const api = {
    async readFlowRun() {
      return { id: RUN, state: now, infrastructure_pid: PID, start_time: startTime } as unknown as FlowRun;
    },
    async setState(_id: string, state: StateCreate, force = false) {
      if (force) forced.push(`${state.type}/${state.name}`);
      else now = current;
      return { status: "ACCEPT", state: force ? null : OURS, details: {} };
    },
    async readFlowRunStates() {
      return history;
    },
  } as unknown as PrefectApi;
  return { api, forced, settle: () => (now = current) };
}

const event: InfraEvent = {
  source: "ecs",
  flowRunId: RUN,
  pid: PID,
  altPids: [],
  phase: "provisioning",
  status: "PROVISIONING",
  createdAt: null,
  exit: null,
  crashed: false,
  diagnosis: null,
};
/** The claim: Prefect copies the displaced Scheduled state's time into it. */
const P: State = {
  ...st("1", "PENDING", "Pending"),
  state_details: { scheduled_time: "2026-12-07T00:00:00Z" },
};
const R = st("2", "RUNNING", "Running");
const C = st("4", "COMPLETED", "Completed");

describe("InfrastructurePending that took effect after the flow finished", () => {
  it("restores Completed when ours committed last though stamped before Running (seed 2)", async () => {
    const { api, forced } = fakeApi([P, st("15", "PENDING", "InfrastructurePending"), R, C], OURS);
    expect((await handleInfraEvent(event, { api, logger: silentLogger, backend: ECS })).outcome).toBe(
      "ignored",
    );
    expect(forced).toEqual(["COMPLETED/Completed"]);
  });

  it("restores Completed over pushpool's own Crashed that followed ours", async () => {
    const crashed = st("5", "CRASHED", "Crashed");
    const { api, forced } = fakeApi([P, R, C, OURS, crashed], crashed);
    await handleInfraEvent(event, { api, logger: silentLogger, backend: ECS });
    expect(forced).toEqual(["COMPLETED/Completed"]);
  });

  it("restores the task's own Crashed when a provisioning event handled at the same time overtook it (PostgreSQL)", async () => {
    // The STOPPED (exit 1) and PROVISIONING events of one task, handled concurrently: both read the
    // run Pending; the Crashed verdict committed first, then Prefect accepted our InfrastructurePending.
    const crashed = st("2", "CRASHED", "Crashed");
    const { api, forced } = fakeApi([P, crashed, OURS], OURS);
    expect((await handleInfraEvent(event, { api, logger: silentLogger, backend: ECS })).outcome).toBe(
      "ignored",
    );
    expect(forced).toEqual(["CRASHED/Crashed"]);
  });

  it("leaves a run alone that is Completed now, or never finished", async () => {
    const done = fakeApi([P, R, OURS, C], C);
    await handleInfraEvent(event, { api: done.api, logger: silentLogger, backend: ECS });
    const running = fakeApi([P, R, OURS], OURS);
    await handleInfraEvent(event, { api: running.api, logger: silentLogger, backend: ECS });
    expect([done.forced, running.forced]).toEqual([[], []]);
  });

  it("an exit 0 of a run that started but reads Pending restores its finished state, not Crashed", async () => {
    const { api, forced, settle } = fakeApi([P, R, C, OURS], OURS, "2");
    settle();
    const exit = { flowRunId: RUN, pid: PID, exitCode: 0 };
    expect(await reportExit(exit, { api, logger: silentLogger })).toBe("untouched");
    expect(forced).toEqual(["COMPLETED/Completed"]);
  });

  it("an exit 0 while a stale claim holds the finished run restores Completed, not Crashed (CI soak)", async () => {
    // A redelivered dispatch claimed the run from its old snapshot after the flow had completed:
    // Prefect accepted that Pending (no persisted result) without a scheduled_time, and the task's
    // STOPPED event was reported before the dispatch undid it. The stale claim is not the run's
    // claim: the Completed before it is what the run finished in.
    const stale = st("5", "PENDING", "Pending");
    const { api, forced, settle } = fakeApi([P, R, C, stale], stale, "2");
    settle();
    const exit = { flowRunId: RUN, pid: PID, exitCode: 0 };
    expect(await reportExit(exit, { api, logger: silentLogger })).toBe("untouched");
    expect(forced).toEqual(["COMPLETED/Completed"]);
  });
});

const ECS = { label: "ECS task", samePid };
