import type { RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { SPEC_HASH_TAG } from "../../../core/backends/ecs/spec.ts";
import { InvalidJobConfigurationError, SubmitError, TransientError } from "../../../core/shared/errors.ts";
import { submitVia } from "../fakes/submit.ts";
import { awsError, FakeEcsApi } from "./fakeEcs.ts";
import { makeBackend, makeRun, renderEcs, submitWith } from "./render.ts";

function lastRunTask(api: FakeEcsApi): RunTaskCommandInput {
  const inputs = api.inputs<RunTaskCommandInput>("runTask");
  const last = inputs[inputs.length - 1];
  if (!last) throw new Error("no RunTask call");
  return last;
}

describe("EcsBackend.submit", () => {
  it("registers one tagged revision, runs it with the claim token and returns Prefect's pid", async () => {
    const { api, pid, request } = await submitWith({ command: "prefect version", cluster: "prod" });
    expect(api.count("registerTaskDefinition")).toBe(1);
    const registered = api.inputs<{ tags: { key: string; value: string }[] }>("registerTaskDefinition")[0];
    expect(registered?.tags).toContainEqual({ key: SPEC_HASH_TAG, value: request.hash });
    const run = lastRunTask(api);
    expect(run).toMatchObject({
      cluster: "prod",
      launchType: "FARGATE",
      clientToken: "token-1",
      startedBy: `pushpool/${request.flowRunId}`,
      taskDefinition: expect.stringMatching(/task-definition\/pushpool_my-ecs-pool_[0-9a-f]{12}:1$/),
    });
    expect(run.overrides?.containerOverrides?.[0]?.command).toEqual(["prefect", "version"]);
    expect(pid).toMatch(/^prod::arn:aws:ecs:us-east-1:123456789012:task\/prod\/[0-9a-f]{32}$/);
  });

  it("uses the returned cluster ARN in the pid when no cluster is configured", async () => {
    const { pid } = await submitWith({});
    expect(pid).toMatch(/^arn:aws:ecs:us-east-1:123456789012:cluster\/default::arn:aws:ecs:/);
  });

  it("the same token returns the same task (RunTask clientToken)", async () => {
    const { backend, api } = makeBackend();
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    const a = await submitVia(backend, request, "tok", ctx);
    const b = await submitVia(backend, request, "tok", ctx);
    expect(b.pid).toBe(a.pid);
    expect(api.tasks.size).toBe(1);
  });

  it("a resumed claim adopts the task its token already started, even where clientToken is ignored", async () => {
    const { backend, api } = makeBackend();
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    const first = await submitVia(backend, request, "claim-token-1", ctx);
    api.tokens.clear(); // behave like moto: no clientToken idempotency
    const again = await submitVia(backend, request, "claim-token-1", { ...ctx, resumed: true });
    expect(again.pid).toBe(first.pid);
    expect(api.count("runTask")).toBe(1);
    expect(api.tasks.size).toBe(1);
    // a new claim (new token) of the same run starts a new task
    const next = await submitVia(backend, request, "claim-token-2", { ...ctx, resumed: true });
    expect(next.pid).not.toBe(first.pid);
    expect(api.tasks.size).toBe(2);
    expect(lastRunTask(api).tags).toContainEqual({ key: "pushpool.io/claim-token", value: "claim-token-2" });
  });

  it("a warm process reuses the revision it resolved: later runs of the spec skip DescribeTaskDefinition", async () => {
    const { backend, api } = makeBackend();
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    await submitVia(backend, request, "a", ctx);
    const describes = api.count("describeTaskDefinition");
    await submitVia(backend, request, "b", ctx);
    await submitVia(backend, request, "c", ctx);
    expect(api.count("describeTaskDefinition")).toBe(describes);
    expect(api.count("registerTaskDefinition")).toBe(1);
    expect(api.count("runTask")).toBe(3);
  });

  it("task_definition_arn: describes it, registers nothing, runs it", async () => {
    const api = new FakeEcsApi();
    const existing = await api.registerTaskDefinition({
      family: "mine",
      containerDefinitions: [{ name: "app", image: "x" }],
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
    });
    api.calls = [];
    const { backend } = makeBackend({}, api);
    const { config, ctx } = await renderEcs({ task_definition_arn: existing.taskDefinitionArn ?? "" });
    await submitVia(backend, backend.prepare(config, ctx), "t", ctx);
    expect(api.count("registerTaskDefinition")).toBe(0);
    const run = lastRunTask(api);
    expect(run.taskDefinition).toBe(existing.taskDefinitionArn);
    expect(run.overrides?.containerOverrides?.[0]?.name).toBe("app");
    expect(run.startedBy).toBe(`pushpool/${ctx.flowRun.id}/app`);
  });

  it("task_definition_arn that does not exist → InvalidJobConfigurationError naming the field", async () => {
    const error = await submitWith({
      task_definition_arn: "arn:aws:ecs:us-east-1:1:task-definition/nope:1",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect((error as Error).message).toMatch(/^task_definition_arn: Task definition .* was not found/);
  });

  it("reuses one revision across deployments with the same spec", async () => {
    const { backend, api } = makeBackend();
    for (const dep of ["d0000000-0000-4000-8000-00000000000a", "d0000000-0000-4000-8000-00000000000b"]) {
      const { config, ctx } = await renderEcs({ env: { DEP: dep } }, { run: makeRun(dep) });
      await submitVia(backend, backend.prepare(config, ctx), `t-${dep}`, ctx);
    }
    expect(api.count("registerTaskDefinition")).toBe(1);
    const arns = new Set(api.inputs<RunTaskCommandInput>("runTask").map((r) => r.taskDefinition));
    expect(arns.size).toBe(1);
  });

  it("registers a new revision when the latest one of the family has another hash", async () => {
    const { backend, api } = makeBackend();
    for (const image of ["a:1", "a:2"]) {
      const { config, ctx } = await renderEcs({ image, family: "shared" });
      await submitVia(backend, backend.prepare(config, ctx), `t-${image}`, ctx);
    }
    expect(api.count("registerTaskDefinition")).toBe(2);
    expect(lastRunTask(api).taskDefinition).toMatch(/task-definition\/shared:2$/);
  });

  it("100 concurrent submits of one deployment register exactly one revision", async () => {
    const { backend, api } = makeBackend();
    api.latencyMs = 5;
    const prepared = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const { config, ctx } = await renderEcs({ image: "repo/app:7" });
        return { request: backend.prepare(config, ctx), ctx };
      }),
    );
    const pids = await Promise.all(
      prepared.map(({ request, ctx }, i) => submitVia(backend, request, `token-${i}`, ctx)),
    );
    expect(api.count("registerTaskDefinition")).toBe(1);
    expect(api.count("runTask")).toBe(100);
    expect(new Set(pids.map((p) => p.pid)).size).toBe(100);
  });

  it("prefers a lower ACTIVE revision with the same hash registered by a racing process", async () => {
    const { backend, api } = makeBackend();
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    if (request.taskDefinition.kind !== "spec") throw new Error("spec expected");
    const { spec, hash } = request.taskDefinition;
    // another process registers the same spec between our lookup and our registration
    api.beforeRegister = async () => {
      await api.registerTaskDefinition({ ...spec, tags: [{ key: SPEC_HASH_TAG, value: hash }] });
    };
    await submitVia(backend, request, "t", ctx);
    expect(api.families.get(spec.family ?? "")?.length).toBe(2);
    expect(lastRunTask(api).taskDefinition).toMatch(/:1$/);
  });

  it("keeps its own revision when the racer's equal revision is no longer ACTIVE", async () => {
    const { backend, api } = makeBackend();
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    if (request.taskDefinition.kind !== "spec") throw new Error("spec expected");
    const { spec, hash } = request.taskDefinition;
    api.beforeRegister = async () => {
      const td = await api.registerTaskDefinition({ ...spec, tags: [{ key: SPEC_HASH_TAG, value: hash }] });
      await api.deregisterTaskDefinition(td.taskDefinitionArn ?? "");
    };
    await submitVia(backend, request, "t", ctx);
    expect(lastRunTask(api).taskDefinition).toMatch(/:2$/);
  });

  it("retries 'Too many concurrent attempts' with backoff, then succeeds", async () => {
    const { backend, api } = makeBackend({ registerAttempts: 3 });
    api.errors.registerTaskDefinition = [
      awsError(
        "ClientException",
        "Too many concurrent attempts to create a new revision of the specified family.",
      ),
      awsError("ThrottlingException", "Rate exceeded"),
    ];
    const { config, ctx } = await renderEcs({});
    await submitVia(backend, backend.prepare(config, ctx), "t", ctx);
    expect(api.count("registerTaskDefinition")).toBe(3);
  });

  it("gives up registering with a TransientError (not a crash)", async () => {
    const { backend, api } = makeBackend({ registerAttempts: 2 });
    const concurrent = () =>
      awsError("ClientException", "Too many concurrent attempts to create a new revision");
    api.errors.registerTaskDefinition = [concurrent(), concurrent()];
    const { config, ctx } = await renderEcs({});
    const error = await submitVia(backend, backend.prepare(config, ctx), "t", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(api.count("runTask")).toBe(0);
  });

  it("an invalid spec fails registration as an InvalidJobConfigurationError with the AWS reason", async () => {
    const { backend, api } = makeBackend();
    api.errors.registerTaskDefinition = [
      awsError("ClientException", "No Fargate configuration exists for given values."),
    ];
    const { config, ctx } = await renderEcs({ cpu: 3 });
    const error = await submitVia(backend, backend.prepare(config, ctx), "t", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect((error as Error).message).toMatch(/No Fargate configuration exists for given values/);
  });
});

describe("EcsBackend.submit — networking", () => {
  it("default VPC: all its subnets (sorted), public IP, no security groups", async () => {
    const { api } = await submitWith({});
    expect(lastRunTask(api).networkConfiguration).toEqual({
      awsvpcConfiguration: {
        subnets: ["subnet-a", "subnet-b"],
        assignPublicIp: "ENABLED",
        securityGroups: [],
      },
    });
    expect(api.inputs("findVpc")).toEqual([null]);
  });

  it("vpc_id: that VPC's subnets", async () => {
    const { api } = await submitWith({ vpc_id: "vpc-custom" });
    expect(lastRunTask(api).networkConfiguration?.awsvpcConfiguration?.subnets).toEqual([
      "subnet-c1",
      "subnet-c2",
    ]);
  });

  it("network_configuration with subnets of vpc_id: passed verbatim", async () => {
    const net = { subnets: ["subnet-c2"], securityGroups: ["sg-1"], assignPublicIp: "DISABLED" };
    const { api } = await submitWith({ vpc_id: "vpc-custom", network_configuration: net });
    expect(lastRunTask(api).networkConfiguration).toEqual({ awsvpcConfiguration: net });
  });

  it("a subnet outside vpc_id is refused", async () => {
    const net = { subnets: ["subnet-a"], securityGroups: [] };
    const error = await submitWith({ vpc_id: "vpc-custom", network_configuration: net }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect((error as Error).message).toMatch(
      /Subnets \['subnet-a'\] not found within VPC with ID vpc-custom/,
    );
  });

  it("no default VPC / a VPC without subnets → Prefect's messages", async () => {
    const { backend, api } = makeBackend();
    api.vpcs = [{ vpcId: "vpc-empty", isDefault: false, subnets: [] }];
    const { config, ctx } = await renderEcs({});
    const noDefault = await submitVia(backend, backend.prepare(config, ctx), "t", ctx).catch(
      (e: unknown) => e,
    );
    expect((noDefault as Error).message).toMatch(
      /^Failed to find the default VPC\. Network configuration cannot be inferred/,
    );
    const r2 = await renderEcs({ vpc_id: "vpc-empty" });
    const noSubnets = await submitVia(backend, backend.prepare(r2.config, r2.ctx), "t", r2.ctx).catch(
      (e: unknown) => e,
    );
    expect((noSubnets as Error).message).toMatch(/^Failed to find subnets for VPC with ID vpc-empty/);
  });

  it("EC2 (bridge) tasks get no network configuration", async () => {
    const { api } = await submitWith({ launch_type: "EC2" });
    expect(lastRunTask(api).networkConfiguration).toBeUndefined();
    expect(api.count("findVpc")).toBe(0);
  });
});

describe("EcsBackend.submit — failure classification", () => {
  async function failWith(setup: (api: FakeEcsApi) => void, values = {}) {
    const { backend, api } = makeBackend();
    setup(api);
    const { config, ctx } = await renderEcs(values);
    return await submitVia(backend, backend.prepare(config, ctx), "t", ctx).then(
      () => new Error("submit succeeded"),
      (e: unknown) => e as Error,
    );
  }

  it.each(["RESOURCE:MEMORY", "RESOURCE:CPU", "AGENT", "Capacity is unavailable at this time."])(
    "RunTask failure %s → TransientError (retried later, not Crashed)",
    async (reason) => {
      const error = await failWith((api) => api.runTaskFailures.push([{ reason }]));
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toBe(`Failed to run ECS task: ${reason}`);
    },
  );

  it("any other RunTask failure → SubmitError 'Failed to run ECS task: <reason>'", async () => {
    const error = await failWith((api) => api.runTaskFailures.push([{ reason: "string" }]));
    expect(error).toBeInstanceOf(SubmitError);
    expect(error.message).toBe("Failed to run ECS task: string");
  });

  it("throttling is retried in process; persistent throttling is a TransientError", async () => {
    const throttle = () => awsError("ThrottlingException", "Rate exceeded");
    const { backend, api } = makeBackend();
    api.errors.runTask = [throttle()];
    const { config, ctx } = await renderEcs({});
    await submitVia(backend, backend.prepare(config, ctx), "t", ctx);
    expect(api.count("runTask")).toBe(2);
    const error = await failWith((a) => {
      a.errors.runTask = [throttle(), throttle(), throttle()];
    });
    expect(error).toBeInstanceOf(TransientError);
  });

  it("ClusterNotFoundException names the cluster", async () => {
    const error = await failWith(
      (api) => {
        api.errors.runTask = [awsError("ClusterNotFoundException", "Cluster not found.")];
      },
      { cluster: "nope" },
    );
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect(error.message).toMatch(/^cluster: Failed to run ECS task, cluster 'nope' not found\./);
  });

  it("network InvalidParameterException → network configuration error with the AWS reason", async () => {
    const error = await failWith((api) => {
      api.errors.runTask = [
        awsError("InvalidParameterException", "Error retrieving subnet information for [subnet-x]"),
      ];
    });
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect(error.message).toMatch(/network configuration error.*subnet-x/);
  });

  it("No Container Instances (EC2) → TransientError", async () => {
    const error = await failWith(
      (api) => {
        api.errors.runTask = [
          awsError("InvalidParameterException", "No Container Instances were found in your cluster."),
        ];
      },
      { launch_type: "EC2", cluster: "ec2" },
    );
    expect(error).toBeInstanceOf(TransientError);
    expect(error.message).toMatch(/cluster 'ec2' does not appear to have any container instances/);
  });

  it("an unknown client error → SubmitError with the AWS name and reason", async () => {
    const error = await failWith((api) => {
      api.errors.runTask = [awsError("AccessDeniedException", "not allowed to iam:PassRole")];
    });
    expect(error).toBeInstanceOf(SubmitError);
    expect(error.message).toBe("Failed to run ECS task: AccessDeniedException: not allowed to iam:PassRole");
  });
});
