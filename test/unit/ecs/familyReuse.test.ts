/**
 * Task-definition reuse across a family (core/backends/ecs/registry.ts) on the fake EcsApi:
 * deployments sharing one family (A, B, A, B…) register each distinct spec once even on cold
 * instances, a warm hit costs no AWS call, and `match_latest_revision_in_family` reuses the latest
 * revision by content — whoever registered it — as Prefect's worker does.
 */

import type { RunTaskCommandInput } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { TaskDefinitionRegistry } from "../../../core/backends/ecs/registry.ts";
import { SPEC_HASH_TAG } from "../../../core/backends/ecs/spec.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { submitVia } from "../fakes/submit.ts";
import { awsError, FakeEcsApi } from "./fakeEcs.ts";
import { makeBackend, renderEcs } from "./render.ts";

/** Prepares and submits one run of `values` on a backend over `api` (a new backend = a cold instance). */
async function dispatch(api: FakeEcsApi, values: JsonObject, backend = makeBackend({}, api).backend) {
  const { config, ctx } = await renderEcs(values);
  const request = backend.prepare(config, ctx);
  await submitVia(backend, request, `token-${api.count("runTask")}`, ctx);
  const runs = api.inputs<RunTaskCommandInput>("runTask");
  return { request, taskDefinition: runs[runs.length - 1]?.taskDefinition ?? "" };
}

const A = { image: "repo/a:1", family: "shared" };
const B = { image: "repo/b:1", family: "shared" };
const C = { image: "repo/c:1", family: "shared" };

describe("task-definition reuse across a family", () => {
  it("A, B, A, B… on cold instances registers each distinct spec exactly once", async () => {
    const api = new FakeEcsApi();
    const used: Record<string, Set<string>> = { a: new Set(), b: new Set() };
    for (let i = 0; i < 6; i++) {
      const [name, values] = i % 2 === 0 ? (["a", A] as const) : (["b", B] as const);
      used[name]?.add((await dispatch(api, values)).taskDefinition);
    }
    expect(api.count("registerTaskDefinition")).toBe(2);
    expect([...(used.a ?? [])]).toEqual(["arn:aws:ecs:us-east-1:123456789012:task-definition/shared:1"]);
    expect([...(used.b ?? [])]).toEqual(["arn:aws:ecs:us-east-1:123456789012:task-definition/shared:2"]);
  });

  it("finds a spec's revision below many others, describing each revision once per warm instance", async () => {
    const api = new FakeEcsApi();
    await dispatch(api, A);
    for (let i = 0; i < 5; i++) await dispatch(api, { ...A, image: `repo/other:${i}` });
    expect(api.count("registerTaskDefinition")).toBe(6);
    const { backend } = makeBackend({}, api);
    api.calls = [];
    expect((await dispatch(api, A, backend)).taskDefinition).toMatch(/shared:1$/);
    expect(api.count("registerTaskDefinition")).toBe(0);
    expect(api.count("listTaskDefinitionArns")).toBe(1);
    const describes = api.count("describeTaskDefinition");
    expect(describes).toBe(6); // the latest (by family), then shared:5 … shared:1 once each
    // Another spec of the family on the same warm instance: no revision is described twice.
    api.calls = [];
    expect((await dispatch(api, { ...A, image: "repo/other:2" }, backend)).taskDefinition).toMatch(
      /shared:4$/,
    );
    const described = api.inputs<string>("describeTaskDefinition");
    expect(described).toEqual(["shared", "arn:aws:ecs:us-east-1:123456789012:task-definition/shared:4"]);
  });

  it("a warm hit makes no AWS call but RunTask", async () => {
    const api = new FakeEcsApi();
    const { backend } = makeBackend({}, api);
    await dispatch(api, A, backend);
    await dispatch(api, B, backend);
    api.calls = [];
    await dispatch(api, A, backend);
    await dispatch(api, B, backend);
    expect(api.calls.map((c) => c.op)).toEqual(["runTask", "runTask"]);
  });

  it("a new family costs no ListTaskDefinitions; a failing one (e.g. no permission) only skips the search", async () => {
    const api = new FakeEcsApi();
    await dispatch(api, A);
    expect(api.count("listTaskDefinitionArns")).toBe(0);
    api.errors.listTaskDefinitionArns = [awsError("AccessDeniedException", "not authorized")];
    await dispatch(api, B);
    expect(api.count("listTaskDefinitionArns")).toBe(1);
    expect(api.count("registerTaskDefinition")).toBe(2);
    expect(api.count("runTask")).toBe(2);
  });

  it("does not reuse a deregistered revision: the spec is registered again", async () => {
    const api = new FakeEcsApi();
    const first = await dispatch(api, A);
    await dispatch(api, B);
    await api.deregisterTaskDefinition(first.taskDefinition);
    expect((await dispatch(api, A)).taskDefinition).toMatch(/shared:3$/);
    expect(api.count("registerTaskDefinition")).toBe(3);
  });

  it("after the warm TTL, one DescribeTaskDefinition of the remembered revision refreshes it", async () => {
    const api = new FakeEcsApi();
    let now = 0;
    const registry = new TaskDefinitionRegistry({
      logger: silentLogger,
      sleep: async () => {},
      registerJitterMs: 0,
      now: () => now,
    });
    const { backend } = makeBackend({}, api);
    const { config, ctx } = await renderEcs(A);
    const plan = backend.prepare(config, ctx).taskDefinition;
    if (plan.kind !== "spec") throw new Error("expected a spec");
    const addressed = { ...plan, spec: plan.spec as never };
    const td = await registry.resolve(api, addressed);
    await dispatch(api, B); // the family's latest is now another spec
    api.calls = [];
    now = 30_000;
    expect(await registry.resolve(api, addressed)).toBe(td);
    expect(api.calls).toEqual([]);
    now = 61_000;
    expect((await registry.resolve(api, addressed)).taskDefinitionArn).toBe(td.taskDefinitionArn);
    expect(api.inputs("describeTaskDefinition")).toEqual([td.taskDefinitionArn]);
    expect(api.count("listTaskDefinitionArns")).toBe(0);
  });
});

describe("match_latest_revision_in_family (Prefect's rule: the latest revision, by content)", () => {
  /** Registers by hand (no spec-hash tag) what pushpool would register for `values`, plus `extra`. */
  async function byHand(api: FakeEcsApi, values: JsonObject, extra: Record<string, unknown> = {}) {
    const { backend } = makeBackend({}, new FakeEcsApi());
    const { config, ctx } = await renderEcs(values);
    const plan = backend.prepare(config, ctx).taskDefinition;
    if (plan.kind !== "spec") throw new Error("expected a spec");
    const td = await api.registerTaskDefinition(plan.spec);
    const stored = api.families.get(plan.family)?.at(-1);
    if (stored) Object.assign(stored.taskDefinition, extra);
    expect(stored?.tags.some((t) => t.key === SPEC_HASH_TAG)).toBe(false);
    return td.taskDefinitionArn;
  }

  it("reuses an equal latest revision registered by someone else, ignoring what ECS adds", async () => {
    const api = new FakeEcsApi();
    const arn = await byHand(api, A, {
      compatibilities: ["EC2", "FARGATE"],
      requiresAttributes: [{ name: "com.amazonaws.ecs.capability.docker-remote-api.1.18" }],
      registeredAt: new Date(),
      registeredBy: "arn:aws:iam::123456789012:user/someone",
      volumes: [],
      placementConstraints: [],
    });
    api.calls = [];
    expect((await dispatch(api, { ...A, match_latest_revision_in_family: true })).taskDefinition).toBe(arn);
    expect(api.count("registerTaskDefinition")).toBe(0);
  });

  it("registers when the latest revision's content differs, or when the flag is off", async () => {
    const api = new FakeEcsApi();
    await byHand(api, A, { cpu: "2048" });
    await dispatch(api, { ...A, match_latest_revision_in_family: true });
    expect(api.count("registerTaskDefinition")).toBe(2);
    const other = new FakeEcsApi();
    await byHand(other, A);
    await dispatch(other, A);
    expect(other.count("registerTaskDefinition")).toBe(2);
  });

  it("only the latest revision is compared by content (an equal older one is not looked for)", async () => {
    const api = new FakeEcsApi();
    await byHand(api, A);
    await byHand(api, C);
    await dispatch(api, { ...A, match_latest_revision_in_family: true });
    expect(api.count("registerTaskDefinition")).toBe(3);
  });

  it("a template tag must be equal too (the spec-hash tag aside)", async () => {
    const { config, ctx } = await renderEcs(A);
    const plan = makeBackend({}, new FakeEcsApi()).backend.prepare(config, ctx).taskDefinition;
    if (plan.kind !== "spec") throw new Error("expected a spec");
    const withTag = (value: string) => ({
      ...plan,
      matchLatest: true,
      spec: { ...plan.spec, tags: [{ key: "team", value }] } as never,
    });
    for (const [value, registrations] of [
      ["ml", 2],
      ["data", 1],
    ] as const) {
      const api = new FakeEcsApi();
      await api.registerTaskDefinition({ ...plan.spec, tags: [{ key: "team", value: "data" }] });
      const registry = new TaskDefinitionRegistry({ logger: silentLogger, sleep: async () => {} });
      await registry.resolve(api, withTag(value));
      expect(api.count("registerTaskDefinition"), value).toBe(registrations);
    }
  });
});
