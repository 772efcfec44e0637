/**
 * EcsBackend.inspectMany: the reconcile's DescribeTasks, grouped by cluster, 100 tasks per call,
 * each result where its item was; failures confined to the tasks of the call that failed.
 */
import type { Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { DESCRIBE_TASKS_MAX } from "../../../core/backends/ecs/inspect.ts";
import type { JobConfiguration } from "../../../core/job/types.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { awsError } from "./fakeEcs.ts";
import { makeBackend } from "./render.ts";

const NO_CONFIG = {} as JobConfiguration;
const arn = (cluster: string, id: number) =>
  `arn:aws:ecs:us-east-1:1:task/${cluster}/${id.toString(16).padStart(8, "0")}`;

function seeded(counts: Record<string, number>) {
  const made = makeBackend();
  const pids: string[] = [];
  for (const [cluster, n] of Object.entries(counts))
    for (let i = 0; i < n; i++) {
      const taskArn = arn(cluster, i);
      const task: Task = {
        taskArn,
        lastStatus: i % 2 ? "RUNNING" : "STOPPED",
        containers: [{ name: "prefect", exitCode: i % 3 }],
      };
      made.api.tasks.set(taskArn, task);
      pids.push(`${cluster}::${taskArn}`);
    }
  return { ...made, pids };
}

describe("EcsBackend.inspectMany", () => {
  it("one DescribeTasks per cluster and 100 tasks, each status where its item was", async () => {
    const { backend, api, pids } = seeded({ a: 150, b: 30 });
    const items = [...pids].reverse().map((pid) => ({ pid, config: NO_CONFIG }));
    const found = await backend.inspectMany(items);
    const calls = api.inputs("describeTasks") as { cluster: string; taskArns: string[] }[];
    expect(calls.map((c) => [c.cluster, c.taskArns.length]).sort()).toEqual([
      ["a", 100],
      ["a", 50],
      ["b", 30],
    ]);
    expect(DESCRIBE_TASKS_MAX).toBe(100);
    for (const [i, item] of items.entries()) {
      expect(found[i]).toEqual({ status: await backend.inspect(item.pid, NO_CONFIG) });
    }
    expect(found.filter((o) => "status" in o && o.status.state === "running")).toHaveLength(90);
  });

  it("an unknown task and a pid that is not ECS's are gone; the others are found", async () => {
    const { backend, pids } = seeded({ a: 2 });
    const found = await backend.inspectMany([
      { pid: pids[0] ?? "", config: NO_CONFIG },
      { pid: `a::${arn("a", 999)}`, config: NO_CONFIG },
      { pid: "not-a-pid", config: NO_CONFIG },
      { pid: pids[1] ?? "", config: NO_CONFIG },
    ]);
    expect(found).toEqual([
      { status: { state: "succeeded", exitCode: 0 } },
      { status: { state: "gone", reason: expect.stringMatching(/not found in cluster a \(MISSING\)/) } },
      { status: { state: "gone", reason: "'not-a-pid' is not an ECS task pid." } },
      { status: { state: "running" } },
    ]);
  });

  it("a failing call affects only its own tasks: throttling → transient error, missing cluster → gone", async () => {
    const { backend, api, pids } = seeded({ a: 1, b: 1, c: 1 });
    api.errors.describeTasks = [
      awsError("ThrottlingException", "Rate exceeded"),
      awsError("ClusterNotFoundException", "Cluster not found."),
    ];
    const found = await backend.inspectMany(pids.map((pid) => ({ pid, config: NO_CONFIG })));
    expect(found.filter((o) => "error" in o && o.error instanceof TransientError)).toHaveLength(1);
    expect(found.filter((o) => "status" in o && o.status.state === "gone")).toHaveLength(1);
    expect(found.filter((o) => "status" in o && o.status.state === "succeeded")).toHaveLength(1);
  });
});
