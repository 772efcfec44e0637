/**
 * The tick warms the ECS task definition of the runs it enqueues (core/warm.ts), so a burst
 * dispatched by several cold function instances — each with its own registry, as separate Lambda
 * instances have — registers nothing more: one revision for the spec, made by the tick alone.
 */

import { beforeAll, describe, expect, it } from "vitest";
import type { TaskDefinitionSpec } from "../../../core/backends/ecs/port.ts";
import type { Deployment, WorkPool } from "../../../core/prefect/types.ts";
import { makeDispatchHandler } from "../../../functions/aws/dispatch.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { makeTickHandler } from "../../../functions/aws/tick.ts";
import type { PrefectAdmin } from "../helpers/prefectAdmin.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";
import { pollOnce } from "./eventSource.ts";
import { ecsPoolWithDeployment } from "./prefectEcs.ts";
import { handlerEnv, sleep, tasksOf, testRuntime } from "./runtime.ts";

let peers: AwsPeers;
let pool: WorkPool;
let deployment: Deployment;
let admin: PrefectAdmin;

beforeAll(async () => {
  peers = await setupAwsPeers("warm");
  ({ pool, deployment, admin } = await ecsPoolWithDeployment(peers));
  handlerEnv(peers, pool.name);
});

/** The real SDK port, counting RegisterTaskDefinition calls (by who made them). */
function counting(who: string, registrations: string[]) {
  const base = ecsApiFactory();
  return (creds: Parameters<ReturnType<typeof ecsApiFactory>>[0]) => {
    const api = base(creds);
    return Object.assign(Object.create(api), {
      registerTaskDefinition: async (spec: TaskDefinitionSpec) => {
        registrations.push(`${who} ${spec.family}`);
        return await api.registerTaskDefinition(spec);
      },
    });
  };
}

describe("warming in the tick", () => {
  it("registers the burst's task definition once, in the tick; three cold dispatchers register none", async () => {
    const registrations: string[] = [];
    const scheduled = new Date(Date.now() + 47_000);
    const runs = [];
    for (let i = 0; i < 10; i++)
      runs.push(await admin.createFlowRun(deployment.id, { scheduled_at: scheduled }));
    const tickRuntime = await testRuntime(peers, pool.name, { ecsApiFor: counting("tick", registrations) });
    const ticked = await makeTickHandler(async () => tickRuntime)({});
    expect(ticked.ticked).toEqual([{ pool: pool.name, enqueued: 10, warmed: 1 }]);
    expect(registrations).toHaveLength(1);
    expect(registrations[0]).toMatch(/^tick pushpool_/);

    await sleep(Math.max(0, scheduled.getTime() - 45_000 - Date.now()) + 500); // delivered at scheduled − 45 s
    const instances = await Promise.all(
      ["a", "b", "c"].map((who) =>
        testRuntime(peers, pool.name, { ecsApiFor: counting(who, registrations) }),
      ),
    );
    for (let round = 0; round < 5; round++) {
      const polled = await Promise.all(
        instances.map((rt) =>
          pollOnce(
            peers.sqs,
            peers.dispatch,
            makeDispatchHandler(async () => rt),
            { batchSize: 4, waitSeconds: 1 },
          ),
        ),
      );
      if (polled.every((p) => p.received === 0)) break;
    }
    for (const run of runs) expect(await tasksOf(peers, run.id)).toHaveLength(1);
    expect(registrations).toHaveLength(1);
  });
});
