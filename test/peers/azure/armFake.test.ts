/**
 * The local Azure Resource Manager (./armFake.ts) as the REAL Azure SDK clients see it, and the ACI
 * backend's behaviour through them on what the conformance suite does not cover: ARM's error shape
 * for a template it cannot evaluate, the long-running operation the SDK polls to its end, a bad
 * image (deployment Failed → the backend's "failed" with ARM's reason), the log tail of a container
 * that exited before its flow started, secure values never read back, and no token → 401.
 */
import { Agent, request } from "node:https";
import { ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { ResourceManagementClient } from "@azure/arm-resources";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AciBackend } from "../../../core/backends/azure-container-instance/index.ts";
import { parsePid } from "../../../core/backends/azure-container-instance/names.ts";
import { submitToken } from "../../../core/backends/token.ts";
import { aciApiFactory, DEPLOYMENTS_API_VERSION } from "../../../functions/azure/aciApi.ts";
import { REQUIRED, renderAci } from "../../unit/aci/render.ts";
import { type ArmFake, startArmFake } from "./armFake.ts";

const credential = {
  getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};
const SUB = String(REQUIRED.subscription_id);
const RG = String(REQUIRED.resource_group_name);

let arm: ArmFake;
let agent: Agent;
let resources: ResourceManagementClient;
let backend: AciBackend;

beforeAll(async () => {
  arm = await startArmFake({ stepMs: 100 });
  agent = new Agent({ ca: arm.ca });
  resources = new ResourceManagementClient(credential, SUB, { endpoint: arm.endpoint, agent });
  backend = new AciBackend({ aciApiFor: aciApiFactory({ endpoint: arm.endpoint, credential, agent }) });
});
afterAll(async () => {
  agent?.destroy();
  await arm?.close();
});

const deploymentId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.Resources/deployments/${name}`;

function template(resources: unknown[], parameters: Record<string, unknown> = {}) {
  return { $schema: "x", contentVersion: "1.0.0.0", parameters, resources };
}

async function started(values: Record<string, unknown> = {}) {
  const { config, ctx, run } = await renderAci({ task_watch_poll_interval: 0.1, ...values } as never);
  const launch = await backend.resolve(backend.prepare(config, ctx));
  const { pid } = await backend.start(launch, submitToken(run.id, "claim"), ctx);
  return { config, ctx, run, pid, group: parsePid(pid)?.group ?? "" };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("local ARM through the real SDK", () => {
  it("an ARM function it does not know → 400 InvalidTemplate, ARM's error shape, nothing deployed", async () => {
    const body = {
      properties: {
        mode: "Incremental",
        template: template([{ type: "x", name: "[foo()]" }]),
        parameters: {},
      },
    };
    const error = await resources.resources
      .beginCreateOrUpdateById(deploymentId("bad-fn"), DEPLOYMENTS_API_VERSION, body)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ statusCode: 400, code: "InvalidTemplate" });
    expect((error as Error).message).toMatch(/The template function 'foo' is not found/);
    expect(arm.world.deployments.size).toBe(0);
  });

  it("a parameter the template does not declare → 400 InvalidTemplate", async () => {
    const body = {
      properties: { mode: "Incremental", template: template([]), parameters: { nope: { value: 1 } } },
    };
    await expect(
      resources.resources.beginCreateOrUpdateById(deploymentId("bad-param"), DEPLOYMENTS_API_VERSION, body),
    ).rejects.toMatchObject({ statusCode: 400, code: "InvalidTemplate" });
  });

  it("the SDK polls the deployment's long-running operation to Succeeded (not done at once)", async () => {
    const body = { properties: { mode: "Incremental", template: template([]), parameters: {} } };
    const poller = await resources.resources.beginCreateOrUpdateById(
      deploymentId("lro"),
      DEPLOYMENTS_API_VERSION,
      body,
    );
    expect(poller.isDone()).toBe(false);
    const done = await poller.pollUntilDone();
    expect((done.properties as { provisioningState: string }).provisioningState).toBe("Succeeded");
  });

  it("a bad image: the deployment fails and inspect says why (→ Crashed with the reason)", async () => {
    const { config, ctx, pid } = await started({ image: "pushpool.azurecr.io/does-not-exist:1" });
    const status = await until(
      () => backend.inspect(pid, config, ctx),
      (s) => s.state !== "pending",
    );
    expect(status.state).toBe("failed");
    expect(status.reason).toMatch(/not accessible|Failed to pull image/);
  });

  it("a container that exits before its flow starts: exit code and its last log lines", async () => {
    const { config, ctx, pid, group } = await started();
    await until(
      async () => arm.group(SUB, RG, group)?.provisioningState,
      (state) => state === "Succeeded",
    );
    arm.finish(SUB, RG, group, 2, ["Installing EXTRA_PIP_PACKAGES", "ERROR: No matching distribution"]);
    const status = await backend.inspect(pid, config, ctx);
    expect(status).toMatchObject({ state: "failed", exitCode: 2 });
    expect(status.logs).toEqual(["Installing EXTRA_PIP_PACKAGES", "ERROR: No matching distribution"]);
  });

  it("secure values are never read back from the group", async () => {
    const { group } = await started({ env: { PREFECT_API_AUTH_STRING: "user:hunter2" } });
    await until(
      async () => arm.group(SUB, RG, group),
      (g) => g !== undefined,
    );
    const aci = new ContainerInstanceManagementClient(credential, SUB, { endpoint: arm.endpoint, agent });
    const read = await aci.containerGroups.get(RG, group);
    const env = read.containers[0]?.environmentVariables ?? [];
    expect(env.find((e) => e.name === "PREFECT_API_AUTH_STRING")).toEqual({
      name: "PREFECT_API_AUTH_STRING",
    });
    expect(env.find((e) => e.name === "PREFECT_API_KEY")).toEqual({ name: "PREFECT_API_KEY" });
    expect(JSON.stringify(read)).not.toContain("hunter2");
  });

  it("a request without a bearer token → 401", async () => {
    const url = new URL(`${arm.endpoint}${deploymentId("x")}?api-version=${DEPLOYMENTS_API_VERSION}`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(url, { agent, method: "GET" }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(401);
  });
});
