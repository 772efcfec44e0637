import type { Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { STOP_REASON } from "../../../core/backends/ecs/index.ts";
import { parsePid, samePid } from "../../../core/backends/ecs/pid.ts";
import { slugifyTag } from "../../../core/backends/ecs/slug.ts";
import { parseStartedBy, startedByFor } from "../../../core/backends/ecs/startedBy.ts";
import { taskStatus } from "../../../core/backends/ecs/status.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import { InfrastructureNotFoundError, TransientError } from "../../../core/shared/errors.ts";
import { awsError } from "./fakeEcs.ts";
import { renderEcs, submitWith } from "./render.ts";

const stopped = (extra: Partial<Task>): Task => ({ lastStatus: "STOPPED", ...extra });

describe("EcsBackend.inspect", () => {
  it("maps the task's lifecycle", async () => {
    const { backend, api, pid } = await submitWith({ cluster: "prod" });
    const taskArn = parsePid(pid)?.taskArn ?? "";
    const task = api.tasks.get(taskArn);
    if (!task) throw new Error("task missing");
    expect((await backend.inspect(pid, NO_CONFIG)).state).toBe("pending");
    task.lastStatus = "RUNNING";
    expect(await backend.inspect(pid, NO_CONFIG)).toEqual({ state: "running" });
    Object.assign(task, { lastStatus: "STOPPED", containers: [{ name: "prefect", exitCode: 0 }] });
    expect(await backend.inspect(pid, NO_CONFIG)).toEqual({ state: "succeeded", exitCode: 0 });
    expect(api.inputs("describeTasks")[0]).toEqual({ cluster: "prod", taskArns: [taskArn] });
  });

  it("a task ECS no longer knows is gone", async () => {
    const { backend } = await submitWith({});
    const status = await backend.inspect("prod::arn:aws:ecs:us-east-1:1:task/prod/ffff", NO_CONFIG);
    expect(status.state).toBe("gone");
    expect(status.reason).toMatch(/MISSING/);
    expect((await backend.inspect("not-a-pid", NO_CONFIG)).state).toBe("gone");
  });

  it("throttling while inspecting is transient", async () => {
    const { backend, api, pid } = await submitWith({});
    api.errors.describeTasks = [awsError("ThrottlingException", "Rate exceeded")];
    await expect(backend.inspect(pid, NO_CONFIG)).rejects.toBeInstanceOf(TransientError);
  });
});

describe("taskStatus", () => {
  it("non-zero exit of the orchestration container → failed with the code; sidecars ignored", () => {
    const task = stopped({
      stopCode: "EssentialContainerExited",
      containers: [
        { name: "sidecar", exitCode: 0 },
        { name: "prefect", exitCode: 137 },
      ],
    });
    expect(taskStatus(task)).toMatchObject({ state: "failed", exitCode: 137 });
    const sidecarFailed = stopped({
      containers: [
        { name: "prefect", exitCode: 0 },
        { name: "log", exitCode: 2 },
      ],
    });
    expect(taskStatus(sidecarFailed).state).toBe("succeeded");
  });

  it("no exit code → failed with the stop code and reason", () => {
    const task = stopped({
      stopCode: "SpotInterruption",
      stoppedReason: "Your Spot Task was interrupted.",
      containers: [{ name: "prefect", exitCode: undefined }],
    });
    expect(taskStatus(task)).toEqual({
      state: "failed",
      exitCode: null,
      reason: "SpotInterruption: Your Spot Task was interrupted.",
    });
  });

  it("no containers (TaskFailedToStart) → failed: ECS task failed to start", () => {
    const task = stopped({ stopCode: "TaskFailedToStart", stoppedReason: "RESOURCE:GPU", containers: [] });
    expect(taskStatus(task)).toEqual({
      state: "failed",
      exitCode: null,
      reason: "ECS task failed to start: RESOURCE:GPU",
    });
  });

  it("a custom orchestration container carried in startedBy is the one checked", () => {
    const task = stopped({
      startedBy: startedByFor("9f1c2e3a-0001-4000-8000-000000000000", "app"),
      containers: [
        { name: "app", exitCode: 3 },
        { name: "envoy", exitCode: 0 },
      ],
    });
    expect(taskStatus(task)).toMatchObject({ state: "failed", exitCode: 3 });
  });
});

describe("EcsBackend.kill", () => {
  it("stops the task with pushpool's reason", async () => {
    const { backend, api, pid, config } = await submitWith({ cluster: "prod" });
    await backend.kill(pid, config, 30);
    expect(api.inputs("stopTask")[0]).toEqual({
      cluster: "prod",
      taskArn: parsePid(pid)?.taskArn,
      reason: STOP_REASON,
    });
  });

  it("a task that is not found → InfrastructureNotFoundError", async () => {
    const { backend } = await submitWith({});
    const { config } = await renderEcs({});
    await expect(
      backend.kill("prod::arn:aws:ecs:us-east-1:1:task/prod/0", config, 30),
    ).rejects.toBeInstanceOf(InfrastructureNotFoundError);
  });

  it("uses the pool's credentials from the configuration", async () => {
    const { backend, pid, config } = await submitWith({});
    const calls: unknown[] = [];
    const withCreds = { ...config, aws_credentials: { region_name: "eu-west-1" } };
    const spy = backend as unknown as { options: { ecsApiFor: (c: unknown) => unknown } };
    const original = spy.options.ecsApiFor;
    spy.options.ecsApiFor = (c) => {
      calls.push(c);
      return original(c);
    };
    await backend.kill(pid, withCreds, 30);
    expect(calls).toEqual([{ region_name: "eu-west-1" }]);
  });
});

describe("pids, startedBy and tags", () => {
  it("pids match across cluster name and cluster ARN", () => {
    const arn = "arn:aws:ecs:us-east-1:1:task/prod/abc";
    expect(samePid(`prod::${arn}`, `arn:aws:ecs:us-east-1:1:cluster/prod::${arn}`)).toBe(true);
    expect(samePid(`prod::${arn}`, `other::${arn}`)).toBe(false);
    expect(samePid(`prod::${arn}`, `prod::${arn}x`)).toBe(false);
  });

  it("startedBy carries the run and a non-default container", () => {
    const id = "9f1c2e3a-0001-4000-8000-000000000000";
    expect(startedByFor(id, "prefect")).toBe(`pushpool/${id}`);
    expect(parseStartedBy(startedByFor(id, "app"))).toEqual({ flowRunId: id, containerName: "app" });
    expect(startedByFor(id, "x".repeat(100))).toBe(`pushpool/${id}`);
    expect(parseStartedBy("ecs-svc/123")).toBeNull();
    expect(parseStartedBy("pushpool/not-a-uuid")).toBeNull();
  });

  it("slugifies tags like python-slugify does for Prefect", () => {
    // expected values computed with python-slugify (regex [^a-zA-Z0-9_./=+:@-], allow_unicode, lowercase=False)
    const cases: [string, string][] = [
      ["Hello, World", "Hello-World"],
      ["prefect.io/flow-run-name", "prefect.io/flow-run-name"],
      ["café crème", "caf-cr-me"],
      ["--a--b--", "a-b"],
      ["x&amp;y", "x-y"],
      ["it's 1,000", "it-s-1000"],
      ["foo@bar:baz=1+2", "foo@bar:baz=1+2"],
      ["１２３", "123"],
      ["&#65;&#x42;", "AB"],
    ];
    for (const [input, expected] of cases) expect(slugifyTag(input)).toBe(expected);
  });
});

/** A pool that names no `aws_credentials`: the function's own identity. */
const NO_CONFIG = {} as JobConfiguration;
