/**
 * EcsBackend (core/backends/ecs/) on moto against the backend conformance suite, through the real
 * AWS port (functions/aws/ecsApi.ts) pointed at moto, as test/peers/aws does. Each case gets its own
 * cluster, so counting "every task in the cluster" counts exactly what the case started, whatever
 * its `startedBy` or tags. A cold instance is a new EcsBackend on a new port factory (new SDK
 * clients, an empty task-definition registry): it shares only moto with the others.
 *
 * The harness wraps the port (what every instance reaches AWS through), as the cloud would behave:
 * - an ambiguous start: the next RunTask is sent to moto (the task starts), then a 503
 *   ServiceUnavailableException is thrown in place of its answer;
 * - exit codes: moto runs no containers (every container reads exit code 0), so `finish` stops the
 *   task on moto and the wrapper patches DescribeTasks answers for that task: STOPPED,
 *   EssentialContainerExited, its containers exited with the given code;
 * - StopTask of a task moto does not know: moto crashes (an HTML 500 page), where ECS answers 400
 *   InvalidParameterException "The referenced task was not found." (what Prefect's ECS worker
 *   matches); the wrapper gives ECS's answer when moto cannot describe the task.
 *
 * Declared limits: moto, not ECS — no clientToken idempotency (the protocol's own look-up is what
 * is shown), task states and exit codes as above.
 */
import { randomUUID } from "node:crypto";
import { EC2Client } from "@aws-sdk/client-ec2";
import {
  CreateClusterCommand,
  type DescribeTasksCommandOutput,
  ECSClient,
  ListTasksCommand,
  StopTaskCommand,
} from "@aws-sdk/client-ecs";
import { EcsBackend } from "../../../core/backends/ecs/index.ts";
import { parsePid } from "../../../core/backends/ecs/pid.ts";
import type { EcsApi } from "../../../core/backends/ecs/port.ts";
import type { BaseJobTemplate, JsonObject } from "../../../core/prefect/types.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { useMotoEnv } from "../../peers/aws/awsPeers.ts";
import { CREDENTIALS, type DefaultNetwork, defaultNetwork, REGION } from "../../peers/aws/motoWorld.ts";
import { bundledTemplate, renderEcs } from "../../unit/ecs/render.ts";
import { type BackendHarness, describeBackendConformance, newFlowRun } from "./suite.ts";

let network: Promise<DefaultNetwork> | null = null;

/** The bundled template with container memory (moto's RunTask answers 500 without it). */
function motoTemplate(): BaseJobTemplate {
  const copy = structuredClone(bundledTemplate) as unknown as {
    job_configuration: { task_definition: { containerDefinitions: JsonObject[] } };
  };
  const container = copy.job_configuration.task_definition.containerDefinitions[0];
  if (container) container.memory = "{{ memory }}";
  return copy as unknown as BaseJobTemplate;
}

/** What an SDK v3 client throws for a 503 whose request may have been applied. */
function serviceUnavailable(): Error {
  return Object.assign(new Error("Service Unavailable"), {
    name: "ServiceUnavailableException",
    $fault: "server",
    $metadata: { httpStatusCode: 503 },
  });
}

/** ECS's answer to StopTask of a task it does not know. */
function taskNotFound(): Error {
  return Object.assign(new Error("The referenced task was not found."), {
    name: "InvalidParameterException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });
}

type Described = Pick<DescribeTasksCommandOutput, "tasks" | "failures">;

/** DescribeTasks as ECS answers once a task's essential container exited with `exits[arn]`. */
function withExits(out: Described, exits: Map<string, number>): Described {
  const tasks = (out.tasks ?? []).map((task) => {
    const exitCode = exits.get(task.taskArn ?? "");
    if (exitCode === undefined) return task;
    const containers = task.containers?.length ? task.containers : [{ name: "prefect" }];
    return {
      ...task,
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: "EssentialContainerExited" as const,
      stoppedReason: "Essential container in task exited",
      containers: containers.map((c) => ({ ...c, lastStatus: "STOPPED", exitCode })),
    };
  });
  return { ...out, tasks };
}

async function ecsHarness(): Promise<BackendHarness> {
  const endpoint = useMotoEnv();
  const base = { endpoint, region: REGION, credentials: CREDENTIALS };
  const ecs = new ECSClient(base);
  network ??= defaultNetwork(new EC2Client(base));
  const net = await network;
  const cluster = `pp-conformance-${randomUUID().slice(0, 8)}`;
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const cloud = { ambiguous: false, exits: new Map<string, number>() };

  const wrap = (api: EcsApi): EcsApi =>
    new Proxy(api, {
      get(target, prop) {
        if (prop === "runTask")
          return async (request: Parameters<EcsApi["runTask"]>[0]) => {
            const out = await target.runTask(request);
            if (!cloud.ambiguous) return out;
            cloud.ambiguous = false;
            throw serviceUnavailable();
          };
        if (prop === "describeTasks")
          return async (c: string, arns: string[]) =>
            withExits(await target.describeTasks(c, arns), cloud.exits);
        if (prop === "stopTask")
          return async (c: string, arn: string, reason: string) => {
            try {
              await target.stopTask(c, arn, reason);
            } catch (error) {
              const known = await target.describeTasks(c, [arn]).catch(() => null);
              if (known && !known.tasks?.some((t) => t.taskArn === arn)) throw taskNotFound();
              throw error;
            }
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  const instance = () => {
    const factory = ecsApiFactory(base);
    return new EcsBackend({ ecsApiFor: (credentials) => wrap(factory(credentials)) });
  };

  return {
    backend: instance(),
    cold: instance,
    async newJob() {
      const { config, ctx } = await renderEcs(
        {
          cluster,
          cpu: 256,
          memory: 512,
          vpc_id: net.vpcId,
          network_configuration: {
            subnets: net.subnets.slice(0, 1),
            securityGroups: [net.securityGroup],
            assignPublicIp: "DISABLED",
          },
        },
        { template: motoTemplate(), run: newFlowRun() },
      );
      return { config, ctx };
    },
    failNextStartAmbiguously() {
      cloud.ambiguous = true;
    },
    async count() {
      const arns = new Set<string>();
      for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
        const page = await ecs.send(new ListTasksCommand({ cluster, desiredStatus }));
        for (const arn of page.taskArns ?? []) arns.add(arn);
      }
      return arns.size;
    },
    async finish(_job, pid, exitCode) {
      const parsed = parsePid(pid);
      if (!parsed) throw new Error(`not an ECS pid: ${pid}`);
      await ecs.send(
        new StopTaskCommand({ cluster: parsed.cluster, task: parsed.taskArn, reason: "exited" }),
      );
      cloud.exits.set(parsed.taskArn, exitCode);
    },
    unknownPid: () =>
      `${cluster}::arn:aws:ecs:${REGION}:123456789012:task/${cluster}/${randomUUID().replaceAll("-", "")}`,
    // Five instances resolving (task definition, network) at once on one moto take seconds.
    settleMs: 10_000,
    async teardown() {
      ecs.destroy();
    },
  };
}

describeBackendConformance("ecs (EcsBackend on moto; exit codes patched into DescribeTasks)", ecsHarness);
