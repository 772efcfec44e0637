/**
 * Regression (moto path) for a duplicate task the soak found once its RunTask-idempotency emulation
 * was removed: a RunTask whose answer is lost after moto started the task (the connection drops on
 * the way back) was retried by the AWS SDK itself, and moto — which ignores `clientToken` — started
 * a second task for the same claim. RunTask now goes out once per call, and pushpool's own retry
 * looks for the claim's task (startedBy + claim-token tag) and adopts it.
 *
 * In front of moto: a proxy that forwards the first RunTask(s), then drops the connection before
 * the answer, exactly as the soak's `lostAfterApply` fault.
 */

import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EcsBackend } from "../../core/backends/ecs/index.ts";
import type { BaseJobTemplate, JsonObject } from "../../core/prefect/types.ts";
import { ecsApiFactory } from "../../functions/aws/ecsApi.ts";
import { type AwsPeers, REGION, setupAwsPeers } from "../peers/aws/awsPeers.ts";
import { bundledTemplate, renderEcs } from "../unit/ecs/render.ts";
import { submitVia } from "../unit/fakes/submit.ts";

const CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };

/** Forwards to `upstream`; the answers of the first `lose` RunTask calls are dropped after moto applied them. */
async function losingProxy(upstream: string, state: { lose: number; runTasks: number }) {
  const base = new URL(upstream);
  const sockets = new Set<Socket>();
  const server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const isRunTask = String(req.headers["x-amz-target"] ?? "").endsWith(".RunTask");
      if (isRunTask) state.runTasks++;
      const lose = isRunTask && state.lose > 0;
      if (lose) state.lose--;
      const headers = { ...req.headers, host: base.host, "content-length": String(body.length) };
      const out = httpRequest(
        { hostname: base.hostname, port: base.port, method: req.method, path: req.url, headers },
        (up) => {
          const answer: Buffer[] = [];
          up.on("data", (c: Buffer) => answer.push(c));
          up.on("end", () => {
            if (lose) return void req.socket.destroy();
            const back = { ...up.headers };
            delete back["transfer-encoding"];
            delete back.connection;
            const payload = Buffer.concat(answer);
            res.writeHead(up.statusCode ?? 502, { ...back, "content-length": String(payload.length) });
            res.end(payload);
          });
        },
      );
      out.on("error", () => res.destroy());
      out.end(body);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let peers: AwsPeers;
const state = { lose: 0, runTasks: 0 };
let proxy: Awaited<ReturnType<typeof losingProxy>>;

beforeAll(async () => {
  peers = await setupAwsPeers("lost-runtask");
  proxy = await losingProxy(peers.endpoint, state);
});
afterAll(async () => {
  await proxy?.stop();
});

/** The bundled template with container memory (moto's RunTask answers 500 without it). */
function motoTemplate(): BaseJobTemplate {
  const copy = structuredClone(bundledTemplate) as unknown as {
    job_configuration: { task_definition: { containerDefinitions: JsonObject[] } };
  };
  const container = copy.job_configuration.task_definition.containerDefinitions[0];
  if (container) container.memory = "{{ memory }}";
  return copy as unknown as BaseJobTemplate;
}

async function tasksStartedBy(startedBy: string): Promise<string[]> {
  const out: string[] = [];
  for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
    const page = await peers.ecs.send(
      new ListTasksCommand({ cluster: peers.cluster, startedBy, desiredStatus }),
    );
    out.push(...(page.taskArns ?? []));
  }
  return out;
}

describe("a RunTask answer lost after moto started the task", () => {
  it("the ECS port sends RunTask once: no SDK retry starts a second task", async () => {
    const api = ecsApiFactory({ endpoint: proxy.url, region: REGION, credentials: CREDENTIALS })({});
    const def = await api.registerTaskDefinition({
      family: `${peers.prefix}-once`,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "prefect", image: "busybox", memory: 512 }],
    });
    Object.assign(state, { lose: 1, runTasks: 0 });
    const startedBy = `pushpool/${peers.prefix}-once`;
    const error = await api
      .runTask({
        cluster: peers.cluster,
        taskDefinition: def.taskDefinitionArn,
        launchType: "FARGATE",
        startedBy,
        clientToken: `${peers.prefix}-once`,
        networkConfiguration: {
          awsvpcConfiguration: { subnets: peers.subnets.slice(0, 1), securityGroups: [peers.securityGroup] },
        },
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(state.runTasks).toBe(1);
    expect(await tasksStartedBy(startedBy)).toHaveLength(1);
  });

  it("submit adopts the task its lost RunTask started: one task for the claim, the pid names it", async () => {
    const backend = new EcsBackend({
      ecsApiFor: ecsApiFactory({ endpoint: proxy.url, region: REGION, credentials: CREDENTIALS }),
      sleep: async () => {},
    });
    const { config, ctx, run } = await renderEcs(
      {
        cluster: peers.cluster,
        cpu: 256,
        memory: 512,
        vpc_id: peers.vpcId,
        network_configuration: {
          subnets: peers.subnets.slice(0, 1),
          securityGroups: [peers.securityGroup],
          assignPublicIp: "DISABLED",
        },
      },
      { template: motoTemplate() },
    );
    Object.assign(state, { lose: 1, runTasks: 0 });
    const { pid } = await submitVia(backend, backend.prepare(config, ctx), `${peers.prefix}-claim`, ctx);
    expect(state.runTasks).toBe(1);
    const tasks = await tasksStartedBy(`pushpool/${run.id}`);
    expect(tasks).toHaveLength(1);
    expect(pid).toBe(`${peers.cluster}::${tasks[0]}`);
  });
});
