import { describe, expect, it } from "vitest";
import { ecsCrashLogTail } from "../../../core/backends/ecs/crashLogs.ts";
import { interpretEcsTaskEvent } from "../../../core/backends/ecs/taskEvents.ts";
import { ValidationError } from "../../../core/shared/errors.ts";
import failedToStart from "../../fixtures/aws/ecs-task-failed-to-start.json" with { type: "json" };
import running from "../../fixtures/aws/ecs-task-running.json" with { type: "json" };
import exit0 from "../../fixtures/aws/ecs-task-stopped-exit-0.json" with { type: "json" };
import exit1 from "../../fixtures/aws/ecs-task-stopped-exit-1.json" with { type: "json" };
import { FakeEcsApi } from "./fakeEcs.ts";

const RUN = "3b1e6f0c-9d2a-4c1e-8f3b-5a7d9e2c4b10";
const TASK = "arn:aws:ecs:us-east-1:123456789012:task/prod/5f2c9a7e1b3d4e6f8a0b1c2d3e4f5a6b";

/** A stopped detail with the given containers (from the exit-1 fixture). */
function stoppedWith(containers: object[], extra: object = {}) {
  return { ...structuredClone(exit1.detail), containers, ...extra };
}

describe("interpretEcsTaskEvent (fixtures)", () => {
  it("RUNNING → phase running, both pid spellings, no exit", () => {
    const event = interpretEcsTaskEvent(running.detail);
    expect(event).toMatchObject({
      flowRunId: RUN,
      pid: `arn:aws:ecs:us-east-1:123456789012:cluster/prod::${TASK}`,
      altPids: [`prod::${TASK}`],
      phase: "running",
      exit: null,
      crashed: false,
      containerName: "prefect",
    });
  });

  it("STOPPED with exit 1 → crash, with a diagnosis", () => {
    const event = interpretEcsTaskEvent(exit1.detail);
    expect(event?.phase).toBe("stopped");
    expect(event?.exit).toEqual({
      exitCode: 1,
      reason: "EssentialContainerExited: Essential container in task exited",
    });
    expect(event?.crashed).toBe(true);
    expect(event?.crashMessage).toBe(
      "The following containers stopped with a non-zero exit code: ['prefect']",
    );
    expect(event?.ecsDiagnosis?.summary).toBe("Essential container exited");
    expect(event?.diagnosis?.text).toMatch(/Container 'prefect' exited with code 1\./);
  });

  it("STOPPED with exit 0 → no crash, no diagnosis", () => {
    const event = interpretEcsTaskEvent(exit0.detail);
    expect(event?.exit?.exitCode).toBe(0);
    expect(event?.crashed).toBe(false);
    expect(event?.diagnosis).toBeNull();
  });

  it("TaskFailedToStart with no containers → crash naming the stop reason and the capacity provider", () => {
    const event = interpretEcsTaskEvent(failedToStart.detail);
    expect(event?.crashed).toBe(true);
    expect(event?.exit).toEqual({
      exitCode: null,
      reason: "ECS task failed to start: RESOURCE:MEMORY. The capacity provider could not place the task.",
    });
    expect(event?.ecsDiagnosis?.summary).toBe("ECS task failed to start");
  });
});

describe("interpretEcsTaskEvent (Prefect observer rules)", () => {
  it("ignores tasks not started by pushpool", () => {
    expect(interpretEcsTaskEvent({ ...running.detail, startedBy: "ecs-svc/1234" })).toBeNull();
    expect(interpretEcsTaskEvent({ ...running.detail, startedBy: undefined })).toBeNull();
  });

  it("rejects a malformed detail", () => {
    expect(() => interpretEcsTaskEvent({ lastStatus: "RUNNING" })).toThrow(ValidationError);
  });

  it("PENDING and PROVISIONING are provisioning; ACTIVATING is not", () => {
    for (const [status, phase] of [
      ["PENDING", "provisioning"],
      ["PROVISIONING", "provisioning"],
      ["ACTIVATING", "starting"],
      ["DEPROVISIONING", "stopping"],
    ])
      expect(interpretEcsTaskEvent({ ...running.detail, lastStatus: status })?.phase).toBe(phase);
  });

  it("a missing exit code of the orchestration container → crash, diagnosed as killed by infrastructure", () => {
    const event = interpretEcsTaskEvent(
      stoppedWith([{ name: "prefect", lastStatus: "STOPPED" }], {
        stopCode: "SpotInterruption",
        stoppedReason: "Your Spot Task was interrupted.",
      }),
    );
    expect(event?.crashed).toBe(true);
    expect(event?.exit?.exitCode).toBeNull();
    expect(event?.ecsDiagnosis).toMatchObject({
      level: "warning",
      summary: "Task terminated by infrastructure",
    });
  });

  it("a sidecar-only failure is ignored when the orchestration container exited 0", () => {
    const event = interpretEcsTaskEvent(
      stoppedWith([
        { name: "prefect", exitCode: 0 },
        { name: "datadog", exitCode: 2 },
      ]),
    );
    expect(event?.crashed).toBe(false);
    expect(event?.exit?.exitCode).toBe(0);
    expect(event?.diagnosis).toBeNull();
  });

  it("a custom orchestration container carried in startedBy: its sidecars do not crash the run", () => {
    const event = interpretEcsTaskEvent(
      stoppedWith(
        [
          { name: "app", exitCode: 0 },
          { name: "envoy", exitCode: 1 },
        ],
        { startedBy: `pushpool/${RUN}/app` },
      ),
    );
    expect(event?.crashed).toBe(false);
    expect(event?.containerName).toBe("app");
  });

  it("without a known orchestration container every container is checked", () => {
    const event = interpretEcsTaskEvent(
      stoppedWith([
        { name: "a", exitCode: 0 },
        { name: "b", exitCode: 3 },
      ]),
    );
    expect(event?.crashed).toBe(true);
    expect(event?.exit?.exitCode).toBe(3);
    expect(event?.containerName).toBeNull();
  });

  it("OOM (137) is diagnosed with the memory hint; image pull failures first", () => {
    const oom = interpretEcsTaskEvent(stoppedWith([{ name: "prefect", exitCode: 137 }], { stopCode: "" }));
    expect(oom?.diagnosis?.text).toMatch(/137 usually means out of memory/);
    const pull = interpretEcsTaskEvent(
      stoppedWith([{ name: "prefect" }], {
        stopCode: "TaskFailedToStart",
        stoppedReason:
          "CannotPullContainerError: pull image manifest has been retried 5 time(s): toomanyrequests",
      }),
    );
    expect(pull?.ecsDiagnosis?.summary).toBe("Container image pull failed");
  });

  it("no containers with another stop code: not a crash by Prefect's rule, but an exit without code", () => {
    const event = interpretEcsTaskEvent({ ...failedToStart.detail, stopCode: "UserInitiated" });
    expect(event?.crashed).toBe(false);
    expect(event?.exit?.exitCode).toBeNull();
  });
});

describe("ecsCrashLogTail", () => {
  it("reads the tail of <prefix>/<container>/<task id> from the task definition's awslogs settings", async () => {
    const api = new FakeEcsApi();
    const td = await api.registerTaskDefinition({
      family: "f",
      containerDefinitions: [
        {
          name: "prefect",
          image: "x",
          logConfiguration: {
            logDriver: "awslogs",
            options: { "awslogs-group": "g", "awslogs-stream-prefix": "p" },
          },
        },
      ],
    });
    api.logs.set("g|p/prefect/abc", [
      { timestamp: 1, message: "line 1" },
      { timestamp: 2, message: "Traceback: boom" },
    ]);
    const lines = await ecsCrashLogTail(api, {
      taskArn: "arn:aws:ecs:us-east-1:1:task/prod/abc",
      taskDefinitionArn: td.taskDefinitionArn ?? null,
      containerName: null,
    });
    expect(lines).toEqual(["line 1", "Traceback: boom"]);
  });

  it("no awslogs driver → no lines, no log call", async () => {
    const api = new FakeEcsApi();
    const td = await api.registerTaskDefinition({
      family: "f",
      containerDefinitions: [{ name: "prefect", image: "x" }],
    });
    const lines = await ecsCrashLogTail(api, {
      taskArn: "arn:aws:ecs:us-east-1:1:task/prod/abc",
      taskDefinitionArn: td.taskDefinitionArn ?? null,
      containerName: "prefect",
    });
    expect(lines).toEqual([]);
    expect(api.count("tailLogEvents")).toBe(0);
  });
});
