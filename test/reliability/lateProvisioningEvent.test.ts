/**
 * Regression for a completed run reported Crashed, found by the AWS soak (`npm run soak`, seed
 * 20261128: 10 of 40 runs): an ECS PROVISIONING event is handled while the run is Pending with the
 * task's pid, but its InfrastructurePending proposal lands only after the flow went Running →
 * Completed (a slow or retried set_state). Prefect ACCEPTS PENDING over COMPLETED without a
 * persisted result (and over FAILED), so the finished run went back to Pending; the task's STOPPED
 * event (exit 0) then crashed it with "exited with status code 0 before the flow run started".
 *
 * Expected: a late provisioning event never moves a finished run; it keeps its final state.
 */

import { describe, expect, it } from "vitest";
import { samePid } from "../../core/backends/ecs/pid.ts";
import { silentLogger } from "../../core/ports/logger.ts";
import type { PrefectApi } from "../../core/prefect/api.ts";
import { PrefectClient } from "../../core/prefect/client.ts";
import type { StateType } from "../../core/prefect/types.ts";
import type { InfraEvent } from "../../core/runs/infraEvents.ts";
import { handleInfraEvent } from "../../core/runs/infraEvents.ts";
import { claim } from "../../core/runs/states.ts";
import { apiUrl, createDeployment, createProcessPool, createRun, readRun, setState } from "../e2e/harness.ts";

/** The client, with `setState` held at a gate the first time (the proposal in flight). */
function stalledSetState(api: PrefectApi) {
  let release = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  let reached: () => void = () => {};
  const stalled = new Promise<void>((r) => {
    reached = r;
  });
  let first = true;
  const wrapped = new Proxy(api, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      if (prop !== "setState") return value.bind(target);
      return async (...args: unknown[]) => {
        if (first) {
          first = false;
          reached();
          await gate;
        }
        return await value.apply(target, args);
      };
    },
  });
  return { api: wrapped, release, stalled };
}

function provisioning(flowRunId: string, pid: string): InfraEvent {
  return {
    source: "ecs",
    flowRunId,
    pid,
    altPids: [],
    phase: "provisioning",
    status: "PROVISIONING",
    createdAt: new Date().toISOString(),
    exit: null,
    crashed: false,
    diagnosis: null,
  };
}

const FINISHED: Array<[StateType, string]> = [
  ["COMPLETED", "Completed"],
  ["FAILED", "Failed"],
];

describe("a provisioning event that lands after the flow finished", () => {
  for (const [type, name] of FINISHED) {
    it(`leaves a ${type} run ${type} (read while Pending, InfrastructurePending proposed after the end)`, async () => {
      const api = new PrefectClient({ apiUrl: apiUrl() });
      const pool = await createProcessPool();
      const dep = await createDeployment({ pool });
      const run = await createRun(dep.id);
      expect((await claim(api, run.id, "pushpool")).claimed).toBe(true);
      const pid = "soak-cluster::arn:aws:ecs:us-east-1:123456789012:task/soak-cluster/late";
      await api.setInfrastructurePid(run.id, pid);

      const slow = stalledSetState(api);
      const outcome = handleInfraEvent(provisioning(run.id, pid), {
        api: slow.api,
        logger: silentLogger,
        backend: ECS,
      });
      await slow.stalled; // it has read the run: PENDING, with this pid
      // Meanwhile the container starts and the flow finishes.
      expect((await setState(run.id, "RUNNING", "Running", null)).status).toBe("ACCEPT");
      expect((await setState(run.id, type, name, `finished as ${name}`)).status).toBe("ACCEPT");
      slow.release();
      const result = await outcome;
      const after = await readRun(run.id);
      expect({ outcome: result.outcome, state: after.state_type, name: after.state_name }).toEqual({
        outcome: "ignored",
        state: type,
        name,
      });
    });
  }

  it("still marks a run that is really Pending as InfrastructurePending", async () => {
    const api = new PrefectClient({ apiUrl: apiUrl() });
    const pool = await createProcessPool();
    const dep = await createDeployment({ pool });
    const run = await createRun(dep.id);
    expect((await claim(api, run.id, "pushpool")).claimed).toBe(true);
    const pid = "soak-cluster::arn:aws:ecs:us-east-1:123456789012:task/soak-cluster/on-time";
    await api.setInfrastructurePid(run.id, pid);
    expect(
      await handleInfraEvent(provisioning(run.id, pid), { api, logger: silentLogger, backend: ECS }),
    ).toEqual({
      outcome: "pending",
      adopted: false,
    });
    expect((await readRun(run.id)).state_name).toBe("InfrastructurePending");
  });
});

const ECS = { label: "ECS task", samePid };
