/**
 * The process environment and runtimes the AWS handler tests use: the real `createRuntime` (secrets,
 * config, Prefect client, EcsBackend, SQS queue) wired to moto and the test Prefect server, and a
 * log capture on stdout (where Powertools Logger writes).
 */
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { inject, vi } from "vitest";
import type { EcsApiFactory, RunTaskRequest } from "../../../core/backends/ecs/port.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { type AwsRuntime, createRuntime, type RuntimeOptions } from "../../../functions/aws/wiring.ts";
import type { AwsPeers } from "./awsPeers.ts";

/** Distinctive secret values: no log line may contain them. */
export const SECRETS = {
  apiKey: "pnu_pushpoolTestKey7f3a9c1e5b",
  authString: "admin:pp-auth-5e2d8b7c4a1f",
};

/** The handlers' environment: Prefect, the pool, the SQS queue (set on process.env for `handler`). */
export function handlerEnv(peers: AwsPeers, pool: string) {
  const env: Record<string, string> = {
    PREFECT_API_URL: inject("prefectApiUrl"),
    PREFECT_API_KEY: SECRETS.apiKey,
    PREFECT_API_AUTH_STRING: SECRETS.authString,
    PUSHPOOL_POOLS: pool,
    PUSHPOOL_QUEUE_URL: peers.dispatch.url,
    PUSHPOOL_ECS_CLUSTERS: peers.cluster,
    PUSHPOOL_TICK_SECONDS: "60",
    POWERTOOLS_LOG_LEVEL: "DEBUG",
  };
  Object.assign(process.env, env);
  return env;
}

export async function testRuntime(
  peers: AwsPeers,
  pool: string,
  options: RuntimeOptions & { extraEnv?: Record<string, string> } = {},
): Promise<AwsRuntime> {
  const env = { ...process.env, ...handlerEnv(peers, pool), ...options.extraEnv };
  return await createRuntime({ ...options, env });
}

/**
 * The real SDK port against moto, recording the `clientToken` of every RunTask call. moto ignores
 * the token (AWS would return the same task), so "one task per claim" on moto is proven by the
 * claim protocol itself: a resumed claim adopts the task tagged with its token.
 */
export function recordingRunTask(base: EcsApiFactory = ecsApiFactory()): {
  factory: EcsApiFactory;
  tokens: string[];
} {
  const tokens: string[] = [];
  const factory: EcsApiFactory = (creds) => {
    const api = base(creds);
    return {
      region: api.region,
      describeTaskDefinition: (td) => api.describeTaskDefinition(td),
      listTaskDefinitionArns: (family, limit) => api.listTaskDefinitionArns(family, limit),
      registerTaskDefinition: (spec) => api.registerTaskDefinition(spec),
      deregisterTaskDefinition: (arn) => api.deregisterTaskDefinition(arn),
      describeTasks: (cluster, arns) => api.describeTasks(cluster, arns),
      listTasksStartedBy: (cluster, startedBy) => api.listTasksStartedBy(cluster, startedBy),
      stopTask: (cluster, arn, reason) => api.stopTask(cluster, arn, reason),
      findVpc: (vpcId) => api.findVpc(vpcId),
      listSubnets: (vpcId) => api.listSubnets(vpcId),
      tailLogEvents: (group, stream, limit) => api.tailLogEvents(group, stream, limit),
      async runTask(request: RunTaskRequest) {
        tokens.push(request.clientToken ?? "");
        return await api.runTask(request);
      },
    };
  };
  return { factory, tokens };
}

/** Task ARNs in the cluster started for a flow run. */
export async function tasksOf(peers: AwsPeers, flowRunId: string, status?: "STOPPED" | "RUNNING") {
  const out = await peers.ecs.send(
    new ListTasksCommand({
      cluster: peers.cluster,
      startedBy: `pushpool/${flowRunId}`,
      ...(status ? { desiredStatus: status } : {}),
    }),
  );
  return out.taskArns ?? [];
}

/** Captures what the handlers print (Powertools writes JSON lines to stdout and stderr). */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write.bind(stream);
    return vi.spyOn(stream, "write").mockImplementation(((chunk: unknown, ...rest: unknown[]) => {
      chunks.push(String(chunk));
      return original(chunk as string, ...(rest as []));
    }) as typeof stream.write);
  });
  return {
    text: () => chunks.join(""),
    restore: () => {
      for (const s of spies) s.mockRestore();
    },
  };
}

export function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
