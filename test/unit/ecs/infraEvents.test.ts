import { describe, expect, it } from "vitest";
import { samePid } from "../../../core/backends/ecs/pid.ts";
import { interpretEcsTaskEvent } from "../../../core/backends/ecs/taskEvents.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { StateType } from "../../../core/prefect/types.ts";
import { handleInfraEvent, type InfraEvent } from "../../../core/runs/infraEvents.ts";
import { CLAIM_MESSAGE_PREFIX } from "../../../core/runs/states.ts";
import failedToStart from "../../fixtures/aws/ecs-task-failed-to-start.json" with { type: "json" };
import running from "../../fixtures/aws/ecs-task-running.json" with { type: "json" };
import exit0 from "../../fixtures/aws/ecs-task-stopped-exit-0.json" with { type: "json" };
import exit1 from "../../fixtures/aws/ecs-task-stopped-exit-1.json" with { type: "json" };
import { FakePrefect } from "../fakes/fakePrefect.ts";

const TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/5f2c9a7e1b3d4e6f8a0b1c2d3e4f5a6b";
const NAME_PID = `prod::${TASK}`;

function event(detail: object): InfraEvent {
  const e = interpretEcsTaskEvent(detail);
  if (!e) throw new Error("not a pushpool task");
  return e;
}

/** A run with the fixtures' flow run id in the given state. */
function setup(
  type: StateType,
  opts: { pid?: string | null; name?: string; started?: boolean; message?: string } = {},
) {
  const api = new FakePrefect();
  api.addPool("pool", "ecs");
  const run = api.addRun(api.addDeployment("pool"), new Date("2026-08-21T11:59:00Z"));
  api.runs.delete(run.id);
  run.id = event(running.detail).flowRunId;
  run.infrastructure_pid = opts.pid === undefined ? NAME_PID : opts.pid;
  run.start_time = opts.started ? "2026-08-21T12:00:40Z" : null;
  run.state = {
    id: "s1",
    type,
    name: opts.name ?? type.charAt(0) + type.slice(1).toLowerCase(),
    message: opts.message ?? `${CLAIM_MESSAGE_PREFIX} (pushpool)`,
    timestamp: "2026-08-21T12:00:00Z",
    state_details: {},
  };
  run.state_type = type;
  api.runs.set(run.id, run);
  const tails: InfraEvent[] = [];
  const deps = {
    api,
    logger: silentLogger,
    backend: { label: "ECS task", samePid },
    logs: {
      async tail(e: InfraEvent) {
        tails.push(e);
        return ["pulling image", "ModuleNotFoundError: No module named 'flows'"];
      },
    },
  };
  return { api, run, deps, tails };
}

const provisioning = { ...running.detail, lastStatus: "PROVISIONING", containers: [] };

describe("handleInfraEvent — provisioning", () => {
  it("proposes InfrastructurePending for the run's own task (pid in cluster-name form)", async () => {
    const { api, run, deps } = setup("PENDING", { name: "Pending" });
    expect(await handleInfraEvent(event(provisioning), deps)).toEqual({ outcome: "pending", adopted: false });
    expect(api.runs.get(run.id)?.state).toMatchObject({
      type: "PENDING",
      name: "InfrastructurePending",
      message: "ECS task is provisioning.",
    });
  });

  it.each(["RUNNING", "COMPLETED", "CRASHED", "PAUSED", "CANCELLING", "SCHEDULED"] as const)(
    "does nothing when the run is %s",
    async (type) => {
      const { api, run, deps } = setup(type);
      expect((await handleInfraEvent(event(provisioning), deps)).outcome).toBe("ignored");
      expect(api.runs.get(run.id)?.state_type).toBe(type);
    },
  );

  it("ignores a task that is not the run's recorded infrastructure", async () => {
    const { api, run, deps } = setup("PENDING", { pid: "prod::arn:aws:ecs:us-east-1:1:task/prod/other" });
    expect((await handleInfraEvent(event(provisioning), deps)).outcome).toBe("ignored");
    expect(api.runs.get(run.id)?.state?.name).toBe("Pending");
  });

  it("adopts the pid when our claim has none (the dispatcher died after RunTask)", async () => {
    const { api, run, deps } = setup("PENDING", { pid: null, name: "Pending" });
    expect(await handleInfraEvent(event(provisioning), deps)).toEqual({ outcome: "pending", adopted: true });
    expect(api.runs.get(run.id)?.infrastructure_pid).toBe(
      `arn:aws:ecs:us-east-1:123456789012:cluster/prod::${TASK}`,
    );
  });

  it("never adopts a task created long before the claim", async () => {
    const { api, run, deps } = setup("PENDING", { pid: null, name: "Pending" });
    const stale = { ...provisioning, createdAt: "2026-08-21T10:00:00Z" };
    expect((await handleInfraEvent(event(stale), deps)).outcome).toBe("ignored");
    expect(api.runs.get(run.id)?.infrastructure_pid).toBeNull();
  });
});

describe("handleInfraEvent — stopped", () => {
  it("exit 1 crashes a Running run; the log tail is not forwarded (it ran)", async () => {
    const { api, run, deps, tails } = setup("RUNNING", { started: true });
    expect(await handleInfraEvent(event(exit1.detail), deps)).toEqual({
      outcome: "crashed",
      forwardedLines: 0,
    });
    expect(api.runs.get(run.id)?.state).toMatchObject({
      type: "CRASHED",
      message: expect.stringMatching(/^Flow run infrastructure exited with non-zero status code 1\./),
    });
    expect(tails).toHaveLength(0);
    // The crash reason (core/runs/report.ts), then the diagnosis, in the run's logs.
    expect(api.logs.map((l) => l.message)).toEqual([
      expect.stringMatching(/^Flow run infrastructure exited with non-zero status code 1\./),
      expect.stringMatching(/^Essential container exited/),
    ]);
  });

  it("exit 1 before Running: the container log tail goes to the run's logs", async () => {
    const { api, deps, tails } = setup("PENDING", { name: "InfrastructurePending" });
    expect(await handleInfraEvent(event(exit1.detail), deps)).toEqual({
      outcome: "crashed",
      forwardedLines: 2,
    });
    expect(tails).toHaveLength(1);
    expect(api.logs.map((l) => l.message)).toContain("ModuleNotFoundError: No module named 'flows'");
  });

  it("TaskFailedToStart crashes a Pending run with the stop reason", async () => {
    const { api, run, deps } = setup("PENDING");
    expect((await handleInfraEvent(event(failedToStart.detail), deps)).outcome).toBe("crashed");
    expect(api.runs.get(run.id)?.state?.message).toMatch(/ECS task failed to start: RESOURCE:MEMORY/);
  });

  it("exit 0 leaves a Completed or Running run alone", async () => {
    for (const type of ["COMPLETED", "RUNNING"] as const) {
      const { api, run, deps } = setup(type, { started: true });
      expect((await handleInfraEvent(event(exit0.detail), deps)).outcome).toBe("ignored");
      expect(api.runs.get(run.id)?.state_type).toBe(type);
      expect(api.logs).toHaveLength(0);
    }
  });

  it.each(["COMPLETED", "FAILED", "CANCELLED", "PAUSED", "CANCELLING"] as const)(
    "never proposes over %s",
    async (type) => {
      const { api, run, deps } = setup(type);
      expect((await handleInfraEvent(event(exit1.detail), deps)).outcome).toBe("ignored");
      expect(api.runs.get(run.id)?.state_type).toBe(type);
    },
  );

  it("a stop of other infrastructure than the run's pid is ignored", async () => {
    const { api, run, deps } = setup("RUNNING", { pid: "prod::arn:aws:ecs:us-east-1:1:task/prod/newer" });
    expect((await handleInfraEvent(event(exit1.detail), deps)).outcome).toBe("ignored");
    expect(api.runs.get(run.id)?.state_type).toBe("RUNNING");
  });

  it("a failing log port never blocks the crash", async () => {
    const { api, run, deps } = setup("PENDING");
    deps.logs.tail = async () => {
      throw new Error("AccessDenied");
    };
    expect((await handleInfraEvent(event(exit1.detail), deps)).outcome).toBe("crashed");
    expect(api.runs.get(run.id)?.state_type).toBe("CRASHED");
  });
});
