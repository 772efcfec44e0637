/**
 * Several deployments sharing one task-definition family (a pool default `family`), dispatched in
 * turn — A, B, C, A, B, C… — each on a COLD instance (a new EcsBackend, as a new Lambda instance
 * has), against moto: every distinct spec is registered exactly once and always runs on its own
 * revision. Reuse by content across the family (core/backends/ecs/registry.ts), not only the
 * latest revision: without it every alternation would register a revision.
 */

import { randomUUID } from "node:crypto";
import { ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { beforeAll, describe, expect, it } from "vitest";
import { EcsBackend } from "../../../core/backends/ecs/index.ts";
import type { EcsApiFactory, RunTaskRequest, TaskDefinitionSpec } from "../../../core/backends/ecs/port.ts";
import type { BaseJobTemplate, JsonObject } from "../../../core/prefect/types.ts";
import { ecsApiFactory } from "../../../functions/aws/ecsApi.ts";
import { bundledTemplate, renderEcs } from "../../unit/ecs/render.ts";
import { submitVia } from "../../unit/fakes/submit.ts";
import { type AwsPeers, setupAwsPeers } from "./awsPeers.ts";

let peers: AwsPeers;
let template: BaseJobTemplate;

beforeAll(async () => {
  peers = await setupAwsPeers("churn");
  // moto's RunTask answers 500 for a container without memory.
  template = structuredClone(bundledTemplate);
  const td = template.job_configuration?.task_definition as { containerDefinitions: JsonObject[] };
  (td.containerDefinitions[0] as JsonObject).memory = 512;
});

/** The real SDK port against moto, recording the image of each registration and the revision of each RunTask. */
function recording(registered: string[], ran: string[]): EcsApiFactory {
  const base = ecsApiFactory();
  return (credentials) => {
    const api = base(credentials);
    return Object.assign(Object.create(api), {
      registerTaskDefinition: async (spec: TaskDefinitionSpec) => {
        registered.push(String(spec.containerDefinitions?.[0]?.image));
        return await api.registerTaskDefinition(spec);
      },
      runTask: async (request: RunTaskRequest) => {
        ran.push(request.taskDefinition ?? "");
        return await api.runTask(request);
      },
    });
  };
}

function vars(image: string, family: string): JsonObject {
  return {
    image,
    family,
    cluster: peers.cluster,
    vpc_id: peers.vpcId,
    network_configuration: {
      subnets: peers.subnets.slice(0, 1),
      securityGroups: [peers.securityGroup],
      assignPublicIp: "DISABLED",
    },
  };
}

describe("deployments sharing one family, dispatched in turn on cold instances (moto)", () => {
  it("A, B, C, A, B, C… registers each distinct spec exactly once, each run on its own revision", async () => {
    const family = `${peers.prefix}-shared`;
    const registered: string[] = [];
    const ran: string[] = [];
    const factory = recording(registered, ran);
    const images = ["flows:a", "flows:b", "flows:c"];
    const revisions = new Map<string, Set<string>>();
    const dispatches = images.length * 4;
    for (let i = 0; i < dispatches; i++) {
      const image = images[i % images.length] as string;
      const backend = new EcsBackend({ ecsApiFor: factory, sleep: async () => {} }); // cold
      const { config, ctx } = await renderEcs(vars(image, family), { template });
      await submitVia(backend, backend.prepare(config, ctx), randomUUID(), ctx);
      revisions.set(image, (revisions.get(image) ?? new Set()).add(ran[ran.length - 1] ?? ""));
    }
    console.info(`family churn: ${dispatches} cold dispatches, ${registered.length} registrations`);
    expect(ran).toHaveLength(dispatches);
    expect(registered.sort()).toEqual(images);
    const listed = await peers.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family }));
    expect(listed.taskDefinitionArns).toHaveLength(images.length);
    for (const image of images) expect(revisions.get(image)?.size, image).toBe(1);
    expect(new Set([...revisions.values()].flatMap((r) => [...r])).size).toBe(images.length);
  });
});
