import { describe, expect, it } from "vitest";
import { DEFAULT_IMAGE, type EcsRequest } from "../../../core/backends/ecs/index.ts";
import { SPEC_HASH_TAG } from "../../../core/backends/ecs/spec.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { makeBackend, makeRun, renderEcs } from "./render.ts";

type Container = {
  name?: string;
  image?: string;
  cpu?: number;
  memory?: number;
  environment?: { name: string; value: string }[];
  secrets?: { name: string; valueFrom: string }[];
  logConfiguration?: { logDriver: string; options: Record<string, string> };
};

async function prepare(values: JsonObject = {}, options: Parameters<typeof renderEcs>[1] = {}) {
  const { backend } = makeBackend();
  const { config, ctx } = await renderEcs(values, options);
  return backend.prepare(config, ctx);
}

function spec(request: EcsRequest) {
  if (request.taskDefinition.kind !== "spec") throw new Error("expected a spec");
  return request.taskDefinition.spec as unknown as Record<string, unknown> & {
    containerDefinitions: Container[];
  };
}

function override(request: EcsRequest) {
  return request.runTask?.overrides?.containerOverrides?.[0];
}

describe("EcsBackend.prepare — the bundled template", () => {
  it("defaults: one Fargate task with a `prefect` container and the run's command/env as overrides", async () => {
    const request = await prepare({ command: "echo test" });
    const td = spec(request);
    expect(td.containerDefinitions).toEqual([{ name: "prefect", image: DEFAULT_IMAGE, essential: true }]);
    expect(td).toMatchObject({ cpu: "1024", memory: "2048", networkMode: "awsvpc" });
    expect(td.requiresCompatibilities).toEqual(["FARGATE"]);
    expect(td.family).toBe(`pushpool_my-ecs-pool_${request.hash?.slice(0, 12)}`);
    expect(request.runTask?.launchType).toBe("FARGATE");
    expect(override(request)?.name).toBe("prefect");
    expect(override(request)?.command).toEqual(["echo", "test"]);
    expect(request.runTask?.startedBy).toBe(`pushpool/${request.flowRunId}`);
    expect(request.containerName).toBe("prefect");
    expect(request.cluster).toBeUndefined();
  });

  it("uses the `image` variable for the orchestration container", async () => {
    const request = await prepare({ image: "repo/app:1" });
    expect(spec(request).containerDefinitions[0]?.image).toBe("repo/app:1");
  });

  it("EC2: launch type EC2, container-level cpu/memory ints, no FARGATE compatibility, default network mode", async () => {
    const request = await prepare({ launch_type: "EC2" });
    const td = spec(request);
    expect(request.runTask?.launchType).toBe("EC2");
    expect(td.requiresCompatibilities).toBeUndefined();
    expect(td.networkMode).toBeUndefined();
    expect(td.cpu).toBeUndefined();
    expect(td.containerDefinitions[0]).toMatchObject({ cpu: 1024, memory: 2048 });
    expect(request.runTask?.overrides?.cpu).toBeUndefined();
  });

  it("FARGATE_SPOT: no launch type, a FARGATE_SPOT capacity provider strategy", async () => {
    const request = await prepare({ launch_type: "FARGATE_SPOT" });
    expect(request.runTask?.launchType).toBeUndefined();
    expect(request.runTask?.capacityProviderStrategy).toEqual([
      { capacityProvider: "FARGATE_SPOT", weight: 1 },
    ]);
    expect(spec(request).requiresCompatibilities).toEqual(["FARGATE"]);
  });

  it("a custom capacity provider strategy drops the launch type", async () => {
    const strategy = [{ capacityProvider: "my-cp", weight: 2, base: 1 }];
    const request = await prepare({ capacity_provider_strategy: strategy });
    expect(request.runTask?.launchType).toBeUndefined();
    expect(request.runTask?.capacityProviderStrategy).toEqual(strategy);
  });

  it("cpu/memory set: task-level strings on Fargate and string overrides", async () => {
    const request = await prepare({ cpu: 2048, memory: 4096 });
    expect(spec(request)).toMatchObject({ cpu: "2048", memory: "4096" });
    expect(request.runTask?.overrides).toMatchObject({ cpu: "2048", memory: "4096" });
    expect(override(request)).toMatchObject({ cpu: 2048, memory: 4096 });
  });

  it("env travels only in the container overrides, never in the task definition", async () => {
    const request = await prepare({ env: { FOO: "bar", GONE: null } });
    expect(spec(request).containerDefinitions[0]?.environment).toBeUndefined();
    const env = override(request)?.environment ?? [];
    expect(env).toContainEqual({ name: "FOO", value: "bar" });
    expect(env).toContainEqual({ name: "PREFECT__FLOW_RUN_ID", value: request.flowRunId });
    expect(env.map((e) => e.name)).not.toContain("GONE");
  });

  it("labels become slugified RunTask tags (case kept), not task-definition tags", async () => {
    const request = await prepare({ labels: { "team name": "Hello, World", "aws:reserved": "x" } });
    const tags = request.runTask?.tags ?? [];
    expect(tags).toContainEqual({ key: "team-name", value: "Hello-World" });
    expect(tags).toContainEqual({ key: "prefect.io/flow-run-id", value: request.flowRunId });
    expect(tags.some((t) => t.key?.startsWith("aws:"))).toBe(false);
    expect(spec(request).tags).toBeUndefined();
  });

  it("cluster from the variable, else the backend default", async () => {
    expect((await prepare({ cluster: "prod" })).runTask?.cluster).toBe("prod");
    const { backend } = makeBackend({ defaults: { cluster: "fallback" } });
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    expect(request.cluster).toBe("fallback");
    expect(request.runTask?.cluster).toBe("fallback");
  });

  it("execution role on the task definition, task role as an override", async () => {
    const request = await prepare({
      execution_role_arn: "arn:aws:iam::1:role/exec",
      task_role_arn: "arn:aws:iam::1:role/task",
    });
    expect(spec(request).executionRoleArn).toBe("arn:aws:iam::1:role/exec");
    expect(request.runTask?.overrides?.taskRoleArn).toBe("arn:aws:iam::1:role/task");
  });

  it("CloudWatch logs: awslogs on the orchestration container with Prefect's defaults, options and prefix", async () => {
    const base = { configure_cloudwatch_logs: true, execution_role_arn: "arn:aws:iam::1:role/exec" };
    const request = await prepare(base);
    const run = makeRun();
    expect(spec(request).containerDefinitions[0]?.logConfiguration).toEqual({
      logDriver: "awslogs",
      options: {
        "awslogs-create-group": "true",
        "awslogs-group": "prefect",
        "awslogs-region": "us-east-1",
        "awslogs-stream-prefix": `prefect-logs_my-ecs-pool_${run.deployment_id}`,
      },
    });
    const custom = await prepare({
      ...base,
      cloudwatch_logs_prefix: "mine",
      cloudwatch_logs_options: { "awslogs-group": "g", mode: "non-blocking" },
    });
    expect(spec(custom).containerDefinitions[0]?.logConfiguration?.options).toMatchObject({
      "awslogs-group": "g",
      "awslogs-stream-prefix": "mine",
      mode: "non-blocking",
    });
    expect(custom.logs).toEqual({ group: "g", streamPrefix: "mine", region: "us-east-1" });
  });

  it("secret ARNs: container secrets, and the plain env vars leave the overrides", async () => {
    const request = await prepare(
      {
        prefect_api_key_secret_arn: "arn:aws:secretsmanager:us-east-1:1:secret:key",
        prefect_api_auth_string_secret_arn: "arn:aws:secretsmanager:us-east-1:1:secret:auth",
        execution_role_arn: "arn:aws:iam::1:role/exec",
      },
      { baseEnv: { PREFECT_API_URL: "u", PREFECT_API_KEY: "pnu_x", PREFECT_API_AUTH_STRING: "a:b" } },
    );
    expect(spec(request).containerDefinitions[0]?.secrets).toEqual([
      { name: "PREFECT_API_AUTH_STRING", valueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:auth" },
      { name: "PREFECT_API_KEY", valueFrom: "arn:aws:secretsmanager:us-east-1:1:secret:key" },
    ]);
    const names = (override(request)?.environment ?? []).map((e) => e.name);
    expect(names).not.toContain("PREFECT_API_KEY");
    expect(names).not.toContain("PREFECT_API_AUTH_STRING");
    expect(JSON.stringify(request)).not.toContain("pnu_x");
  });

  it("secret ARNs default from the backend's defaults", async () => {
    const { backend } = makeBackend({
      defaults: { prefectApiKeySecretArn: "arn:aws:secretsmanager:x:1:secret:k" },
    });
    const { config, ctx } = await renderEcs({});
    const request = backend.prepare(config, ctx);
    expect(spec(request).containerDefinitions[0]?.secrets).toEqual([
      { name: "PREFECT_API_KEY", valueFrom: "arn:aws:secretsmanager:x:1:secret:k" },
    ]);
    expect(JSON.stringify(request.runTask)).not.toContain("pnu_secret");
  });

  it("template secrets are preserved; a configured ARN replaces a same-named one", async () => {
    const template = structuredClone((await import("./render.ts")).bundledTemplate);
    const td = (template.job_configuration as JsonObject).task_definition as JsonObject;
    (td.containerDefinitions as JsonObject[])[0] = {
      image: "{{ image }}",
      name: "{{ container_name }}",
      secrets: [
        { name: "DB_PASSWORD", valueFrom: "arn:db" },
        { name: "PREFECT_API_KEY", valueFrom: "arn:old" },
      ],
    };
    const request = await prepare({ prefect_api_key_secret_arn: "arn:new" }, { template });
    expect(spec(request).containerDefinitions[0]?.secrets).toEqual([
      { name: "DB_PASSWORD", valueFrom: "arn:db" },
      { name: "PREFECT_API_KEY", valueFrom: "arn:new" },
    ]);
  });

  it("task_definition_arn: nothing to register, the ARN is the plan", async () => {
    const arn = "arn:aws:ecs:us-east-1:1:task-definition/mine:3";
    const request = await prepare({ task_definition_arn: arn });
    expect(request.taskDefinition).toEqual({ kind: "arn", arn });
    expect(request.hash).toBeNull();
    expect(request.runTask).toBeNull();
  });
});

describe("EcsBackend.prepare — content hash and family", () => {
  it("the hash ignores what travels as overrides (env, command, labels, cluster, task role, deployment)", async () => {
    const a = await prepare({ env: { A: "1" }, command: "a", cluster: "x" });
    const b = await prepare(
      { env: { B: "2" }, command: "b", labels: { k: "v" }, task_role_arn: "arn:r" },
      { run: makeRun("d0000000-0000-4000-8000-0000000000ff") },
    );
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
  });

  it("image, cpu, execution role and logs change the hash", async () => {
    const base = (await prepare({})).hash;
    expect((await prepare({ image: "other" })).hash).not.toBe(base);
    expect((await prepare({ cpu: 512 })).hash).not.toBe(base);
    expect((await prepare({ execution_role_arn: "arn:e" })).hash).not.toBe(base);
  });

  it("sanitises an explicit family and the pool name in the generated one", async () => {
    const explicit = await prepare({ family: "my family/v1!" });
    expect(spec(explicit).family).toBe("my-family-v1-");
    const generated = await prepare({}, { poolName: "Team Pool #1" });
    expect(spec(generated).family).toMatch(/^pushpool_Team-Pool-1_[0-9a-f]{12}$/);
    const long = await prepare({}, { poolName: "p".repeat(400) });
    expect(String(spec(long).family).length).toBe(255);
  });

  it("the hash tag is added at registration, not in the spec the hash covers", async () => {
    const request = await prepare({});
    expect(JSON.stringify(request.taskDefinition)).not.toContain(SPEC_HASH_TAG);
  });
});

describe("EcsBackend.prepare — validation with Prefect's wording", () => {
  const cases: [string, JsonObject, RegExp][] = [
    [
      "logs without execution role",
      { configure_cloudwatch_logs: true },
      /An `execution_role_arn` must be provided/,
    ],
    [
      "log options without logs",
      { cloudwatch_logs_options: { a: "b" } },
      /`configure_cloudwatch_log` must be enabled/,
    ],
    [
      "network configuration without vpc",
      { network_configuration: { subnets: ["s"] } },
      /must provide a `vpc_id`/,
    ],
    ["cluster of the wrong type", { cluster: 5 }, /^cluster: Input should be a valid string/],
  ];
  it.each(cases)("%s", async (_name, values, message) => {
    const error = await prepare(values).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  it("a custom container name not in the task definition is named in the error", async () => {
    const template = structuredClone((await import("./render.ts")).bundledTemplate);
    const td = (template.job_configuration as JsonObject).task_definition as JsonObject;
    td.containerDefinitions = [{ name: "sidecar", image: "x" }];
    const error = await prepare({ container_name: "app" }, { template }).catch((e: unknown) => e);
    expect((error as Error).message).toBe("container_name: Container 'app' not found in task definition.");
  });

  it("bridge network mode on Fargate is refused", async () => {
    const template = structuredClone((await import("./render.ts")).bundledTemplate);
    ((template.job_configuration as JsonObject).task_definition as JsonObject).networkMode = "bridge";
    const error = await prepare({}, { template }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /Found network mode 'bridge' which is not compatible with launch type 'FARGATE'/,
    );
  });
});
