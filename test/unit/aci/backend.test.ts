/**
 * The ACI backend on a hand-written ARM port: which name a claim deploys under (and never adopting
 * an older claim's group), `find` through the deployment and the group, `inspect` for every state
 * (start timeout from the claim, crash logs of a container that died before the flow started),
 * `kill` and `cleanup` per `keep_container_group`, and error classification.
 */
import { describe, expect, it } from "vitest";
import { AciBackend } from "../../../core/backends/azure-container-instance/index.ts";
import { deploymentName, prefectGroupName } from "../../../core/backends/azure-container-instance/names.ts";
import { CLAIM_TAG } from "../../../core/backends/azure-container-instance/tags.ts";
import { submitToken } from "../../../core/backends/token.ts";
import {
  InfrastructureNotFoundError,
  InvalidJobConfigurationError,
  TransientError,
} from "../../../core/shared/errors.ts";
import { FakeAciApi, restError } from "./fakeAci.ts";
import { renderAci } from "./render.ts";

const T0 = Date.parse("2026-12-01T00:00:00Z");

/** A group whose flow container terminated with `exitCode`. */
function terminated(name: string, exitCode: number) {
  const group = FakeAciApi.group(name, "Terminated");
  const state = group.properties.containers[0]?.properties.instanceView?.currentState;
  if (state) state.exitCode = exitCode;
  return group;
}

async function setup(values: Record<string, unknown> = {}, now = T0) {
  const api = new FakeAciApi();
  const backend = new AciBackend({ aciApiFor: () => api, now: () => now });
  const { config, ctx, run } = await renderAci(values as never);
  run.state = { type: "PENDING", name: "Pending", timestamp: new Date(T0).toISOString() } as typeof run.state;
  const launch = await backend.resolve(backend.prepare(config, ctx));
  const primary = prefectGroupName("My ETL flow", run.id);
  return { api, backend, config, ctx, run, launch, primary };
}

describe("ACI start-once primitives", () => {
  it("a fresh claim deploys under Prefect's names, tagged with its token; pid as Prefect records it", async () => {
    const { api, backend, launch, ctx, run, primary } = await setup();
    const token = submitToken(run.id, "claim-1");
    const { pid } = await backend.start(launch, token, ctx);
    expect(pid).toBe(`${run.id}:${primary}`);
    const sent = api.deployments.get(deploymentName(primary))?.body;
    expect(sent?.tags).toEqual({ [CLAIM_TAG]: token });
    expect(sent?.properties.mode).toBe("Incremental");
    expect(sent?.properties.parameters).toEqual({ container_group_name: { value: primary } });
    const resources = (sent?.properties.template.resources ?? []) as { tags: Record<string, string> }[];
    const group = resources[0];
    expect(group?.tags[CLAIM_TAG]).toBe(token);
    expect(await backend.find(launch, token)).toEqual({ pid });
  });

  it("a new claim meeting an older claim's group gets its own group and never adopts the old one", async () => {
    const { api, backend, launch, ctx, run, primary } = await setup();
    const old = submitToken(run.id, "claim-1");
    await backend.start(launch, old, ctx);
    api.groups.set(primary, FakeAciApi.group(primary, "Terminated", {}, { [CLAIM_TAG]: old }));
    const fresh = submitToken(run.id, "claim-2");
    expect(await backend.find(launch, fresh)).toBeNull();
    const { pid } = await backend.start(launch, fresh, ctx);
    expect(pid).not.toBe(`${run.id}:${primary}`);
    expect(pid.startsWith(`${run.id}:my-etl-f-${fresh.slice(3, 13)}-`)).toBe(true);
    expect(await backend.find(launch, fresh)).toEqual({ pid });
    expect(await backend.find(launch, old)).toEqual({ pid: `${run.id}:${primary}` });
    expect(api.deployments.size).toBe(2);
  });

  it("a group a Prefect worker left (no claim tag, no deployment record) is not deployed over", async () => {
    const { api, backend, launch, ctx, run, primary } = await setup();
    api.groups.set(primary, FakeAciApi.group(primary, "Terminated"));
    const token = submitToken(run.id, "claim-1");
    const { pid } = await backend.start(launch, token, ctx);
    expect(pid).not.toBe(`${run.id}:${primary}`);
  });

  it("find sees the token on the group when the deployment record was pruned", async () => {
    const { api, backend, launch, run, primary } = await setup();
    const token = submitToken(run.id, "claim-1");
    api.groups.set(primary, FakeAciApi.group(primary, "Running", {}, { [CLAIM_TAG]: token }));
    expect(await backend.find(launch, token)).toEqual({ pid: `${run.id}:${primary}` });
  });

  it("deploy failures: ambiguous ones may have started, 4xx did not; an invalid template names arm_template", async () => {
    const { api, backend, launch, ctx, run } = await setup();
    const token = submitToken(run.id, "c");
    for (const [error, may] of [
      [restError(undefined, "ECONNRESET"), true],
      [restError(500, "InternalServerError"), true],
      [restError(409, "DeploymentActive"), true],
      [restError(429, "TooManyRequests"), false],
      [restError(400, "InvalidTemplate"), false],
    ] as const) {
      api.failures.deploy = error;
      const thrown = await backend.start(launch, token, ctx).catch((e: unknown) => e);
      expect(backend.mayHaveStarted(thrown), error.message).toBe(may);
    }
    api.failures.deploy = restError(400, "InvalidTemplate", "The template function 'foo' is not found");
    const invalid = await backend.start(launch, token, ctx).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(InvalidJobConfigurationError);
    expect((invalid as Error).message).toMatch(
      /^arm_template: .*InvalidTemplate: The template function 'foo'/,
    );
    api.failures.deploy = restError(404, "ResourceGroupNotFound", "Resource group 'x' could not be found.");
    await expect(backend.start(launch, token, ctx)).rejects.toThrow(
      /resource_group_name: resource group 'pushpool-rg'/,
    );
    api.failures.deploy = restError(503, "ServiceUnavailable");
    await expect(backend.start(launch, token, ctx)).rejects.toBeInstanceOf(TransientError);
  });
});

describe("ACI inspect", () => {
  it("maps the flow container's state: running, exit 0, exit 3", async () => {
    const { api, backend, config, ctx, run, primary } = await setup();
    const pid = `${run.id}:${primary}`;
    api.groups.set(primary, FakeAciApi.group(primary, "Running"));
    expect(await backend.inspect(pid, config, ctx)).toEqual({ state: "running" });
    api.groups.set(primary, terminated(primary, 0));
    expect(await backend.inspect(pid, config, ctx)).toEqual({ state: "succeeded", exitCode: 0 });
    api.groups.set(primary, terminated(primary, 3));
    expect(await backend.inspect(pid, config, ctx)).toMatchObject({ state: "failed", exitCode: 3 });
  });

  it("while the deployment runs: pending; past task_start_timeout_seconds from the claim: failed, saying so", async () => {
    const early = await setup({ task_start_timeout_seconds: 60 }, T0 + 30_000);
    const token = submitToken(early.run.id, "c");
    const { pid } = await early.backend.start(early.launch, token, early.ctx);
    early.api.groups.clear();
    expect(await early.backend.inspect(pid, early.config, early.ctx)).toMatchObject({ state: "pending" });
    const late = new AciBackend({ aciApiFor: () => early.api, now: () => T0 + 61_000 });
    const status = await late.inspect(pid, early.config, early.ctx);
    expect(status).toMatchObject({ state: "failed", exitCode: null });
    expect(status.reason).toMatch(/did not start within task_start_timeout_seconds \(60 s\)/);
  });

  it("a failed deployment (bad image) → failed with ARM's innermost message", async () => {
    const { api, backend, config, ctx, run, primary } = await setup();
    api.deployments.set(deploymentName(primary), {
      body: {} as never,
      view: {
        name: deploymentName(primary),
        properties: {
          provisioningState: "Failed",
          error: {
            code: "DeploymentFailed",
            message: "At least one resource deployment operation failed.",
            details: [{ code: "InaccessibleImage", message: "The image 'nope' is not accessible." }],
          },
        },
      },
    });
    const status = await backend.inspect(`${run.id}:${primary}`, config, ctx);
    expect(status).toEqual({
      state: "failed",
      exitCode: null,
      reason: "ACI container group deployment failed: InaccessibleImage: The image 'nope' is not accessible.",
    });
  });

  it("a container that died before the flow started: its log tail comes back for core to forward", async () => {
    const { api, backend, config, ctx, run, primary } = await setup();
    api.groups.set(primary, terminated(primary, 1));
    api.logs.set(primary, "pip install failed\nModuleNotFoundError: nope\n");
    const status = await backend.inspect(`${run.id}:${primary}`, config, ctx);
    expect(status.logs).toEqual(["pip install failed", "ModuleNotFoundError: nope"]);
    run.start_time = "2026-12-01T00:00:05Z";
    expect((await backend.inspect(`${run.id}:${primary}`, config, ctx)).logs).toBeUndefined();
  });

  it("no group and no deployment → gone; a bad pid → gone without a call", async () => {
    const { api, backend, config, ctx, run } = await setup();
    expect(await backend.inspect(`${run.id}:nothing-here`, config, ctx)).toMatchObject({ state: "gone" });
    const calls = api.calls.length;
    expect(await backend.inspect("not-a-pid", config, ctx)).toMatchObject({ state: "gone" });
    expect(api.calls.length).toBe(calls);
  });
});

describe("ACI kill and cleanup", () => {
  it("kill deletes a running group by default, stops it with keep_container_group", async () => {
    for (const [keep, method] of [
      [false, "deleteContainerGroup"],
      [true, "stopContainerGroup"],
    ] as const) {
      const { api, backend, config, ctx, run, primary } = await setup({ keep_container_group: keep });
      api.groups.set(primary, FakeAciApi.group(primary, "Running"));
      await backend.kill(`${run.id}:${primary}`, config, 30, ctx);
      expect(api.methods()).toContain(method);
    }
  });

  it("kill of a finished group changes nothing (cleanup removes it); of a missing one → InfrastructureNotFoundError", async () => {
    const { api, backend, config, ctx, run, primary } = await setup();
    api.groups.set(primary, FakeAciApi.group(primary, "Terminated"));
    await backend.kill(`${run.id}:${primary}`, config, 30, ctx);
    expect(api.methods()).not.toContain("deleteContainerGroup");
    await backend.cleanup(`${run.id}:${primary}`, config);
    expect(api.groups.has(primary)).toBe(false);
    await backend.cleanup(`${run.id}:${primary}`, config); // already gone: fine
    await expect(backend.kill(`${run.id}:${primary}`, config, 30, ctx)).rejects.toBeInstanceOf(
      InfrastructureNotFoundError,
    );
  });

  it("kill while the deployment is still creating the group → retry later (transient), not 'not found'", async () => {
    const { api, backend, config, ctx, run, launch } = await setup();
    const { pid } = await backend.start(launch, submitToken(run.id, "c"), ctx);
    api.groups.clear();
    await expect(backend.kill(pid, config, 30, ctx)).rejects.toBeInstanceOf(TransientError);
  });
});

describe("ACI secret hygiene", () => {
  it("the subscription id (a secret string in Prefect) is masked in the errors the backend throws", async () => {
    const { api, backend, launch, ctx, run } = await setup();
    const sub = "00000000-0000-4000-8000-00000000005b";
    api.failures.deploy = restError(
      403,
      "AuthorizationFailed",
      `The client 'x' does not have authorization to perform action over scope '/subscriptions/${sub}/resourceGroups/pushpool-rg'.`,
    );
    const error = await backend.start(launch, submitToken(run.id, "c"), ctx).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /AuthorizationFailed: .*\/subscriptions\/\*{10}\/resourceGroups/,
    );
    expect((error as Error).message).not.toContain(sub);
  });
});
