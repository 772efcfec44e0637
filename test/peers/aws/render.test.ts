/**
 * `pushpool render` for an `ecs` pool shows what the ECS API gets: the rendered RunTask request and
 * task definition equal what the real EcsBackend then sends to moto (RunTask without the parts
 * resolved at submit: the task definition ARN, the network configuration, the client token and the
 * claim-token tag), credentials masked.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsApiFactory, RunTaskRequest } from "../../../core/backends/ecs/port.ts";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { dispatch } from "../../../core/runs/dispatch.ts";
import { createRedactor } from "../../../core/shared/redact.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { renderForFlowRun } from "../../../functions/local/render.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { handlerEnv, SECRETS, testRuntime } from "./runtime.ts";

const CLAIM_TAG = "pushpool.io/claim-token";
let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;

beforeAll(async () => {
  peers = await setupAwsPeers("render");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
});

/** The real SDK port, recording what RegisterTaskDefinition and RunTask receive. */
function recording(env: Record<string, string | undefined>) {
  const sent = { registered: [] as unknown[], runTask: [] as RunTaskRequest[] };
  const base = ecsApiFactory({ env });
  const factory: EcsApiFactory = (credentials) => {
    const api = base(credentials);
    return new Proxy(api, {
      get(target, prop) {
        if (prop === "registerTaskDefinition")
          return (spec: Parameters<typeof api.registerTaskDefinition>[0]) => {
            sent.registered.push(structuredClone(spec));
            return target.registerTaskDefinition(spec);
          };
        if (prop === "runTask")
          return (request: RunTaskRequest) => {
            sent.runTask.push(structuredClone(request));
            return target.runTask(request);
          };
        const value = Reflect.get(target, prop);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };
  return { sent, factory };
}

describe("pushpool render, ecs", () => {
  it("prints the RunTask request and task definition the ECS API then receives, secrets masked", async () => {
    const env = { ...process.env, ...handlerEnv(peers, pool.name) };
    const { sent, factory } = recording(env);
    const runtime = await testRuntime(peers, pool.name, { ecsApiFor: factory });
    const run = await admin.createFlowRun(deployment.id, { scheduled_at: new Date() });

    const rendered = await renderForFlowRun(run.id, { env, backends: [runtime.ecs] });
    const request = rendered.request as {
      registerTaskDefinition: unknown;
      runTask: Record<string, unknown>;
      resolvedAtSubmit: string[];
    };
    const outcome = await dispatch(
      { v: 1, kind: "dispatch", flowRunId: run.id, pool: pool.name, source: "test" },
      runtime.deps,
    );
    expect(outcome.outcome).toBe("submitted");

    const redact = createRedactor([SECRETS.apiKey, SECRETS.authString]);
    expect(sent.runTask).toHaveLength(1);
    const { taskDefinition, networkConfiguration, clientToken, tags, ...runTask } = sent.runTask[0] ?? {};
    expect(request.resolvedAtSubmit).toEqual([
      "taskDefinition",
      "networkConfiguration",
      "clientToken",
      CLAIM_TAG,
    ]);
    expect([taskDefinition, networkConfiguration, clientToken].every(Boolean)).toBe(true);
    // The claim's token travels as a tag: known at submit only, like the client token.
    expect((tags ?? []).filter((t) => t.key === CLAIM_TAG)).toHaveLength(1);
    const sentRunTask = { ...runTask, tags: (tags ?? []).filter((t) => t.key !== CLAIM_TAG) };
    expect(request.runTask).toEqual(redact(sentRunTask));
    expect(JSON.stringify(sentRunTask)).toContain(run.id);
    expect(sent.registered).toHaveLength(1);
    expect(request.registerTaskDefinition).toEqual(redact(sent.registered[0]));
    // `pushpool render` wires the ECS backend as the AWS functions do when given none.
    expect(await renderForFlowRun(run.id, { env })).toEqual(rendered);
    expect(JSON.stringify(rendered)).not.toContain(SECRETS.apiKey);
    expect(JSON.stringify(rendered)).not.toContain(SECRETS.authString);
  });
});
