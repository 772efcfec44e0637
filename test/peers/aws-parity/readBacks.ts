/**
 * moto's read-backs the parity test compares: a registered task definition (DescribeTaskDefinition
 * with tags) and a started task (DescribeTasks with tags).
 */
import { DescribeTaskDefinitionCommand, DescribeTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { expect } from "vitest";
import type { JsonObject } from "../../../core/prefect/types.ts";

/** A registered task definition as moto keeps it (ARN, revision and registration stamp aside). */
export async function describeTaskDefinition(ecs: ECSClient, arn: string): Promise<JsonObject> {
  const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn, include: ["TAGS"] }));
  const { taskDefinitionArn, revision, registeredAt, registeredBy, ...rest } = out.taskDefinition ?? {};
  expect(taskDefinitionArn).toBe(arn);
  expect(revision).toBeGreaterThan(0);
  return { ...rest, ...(out.tags?.length ? { tags: out.tags } : {}) } as JsonObject;
}

/** What moto keeps of a started task (ARNs and timestamps aside), asked in the task's own cluster. */
export async function describeTask(ecs: ECSClient, pid: string): Promise<Record<string, unknown>> {
  const taskArn = pid.slice(pid.indexOf("::") + 2);
  const cluster = taskArn.split("/").at(-2) as string;
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn], include: ["TAGS"] }));
  const task = out.tasks?.[0];
  expect(task?.taskArn).toBe(taskArn);
  return {
    group: task?.group,
    startedBy: task?.startedBy,
    clusterArn: task?.clusterArn,
    launchType: task?.launchType,
    capacityProviderName: task?.capacityProviderName,
    overrides: task?.overrides,
    tags: task?.tags,
    cpu: task?.cpu,
    memory: task?.memory,
    containers: task?.containers?.map((ct) => ({ name: ct.name, image: ct.image })),
    subnet: task?.attachments?.[0]?.details?.find((d) => d.name === "subnetId")?.value,
  };
}
