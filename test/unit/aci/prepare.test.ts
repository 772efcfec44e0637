/**
 * The ACI `prepare`: Prefect's `prepare_for_flow_run` mutations on its own default template
 * (rendered and prepared as dispatch does), pushpool's two additions (GPU, labels as tags), and
 * precise errors for configurations that can never run. Byte-for-byte agreement with Prefect's own
 * code is test/peers/azure-parity/.
 */
import { describe, expect, it } from "vitest";
import { prepareAciRequest } from "../../../core/backends/azure-container-instance/prepare.ts";
import type { BaseJobTemplate } from "../../../core/prefect/types.ts";
import { InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { aciTemplate, renderAci } from "./render.ts";

type Obj = Record<string, unknown>;
const groupOf = (template: Obj) => (template.resources as Obj[])[0] as Obj & { properties: Obj };
const containerOf = (template: Obj) =>
  ((groupOf(template).properties.containers as Obj[])[0] as { properties: Obj }).properties;

async function prepared(values: Record<string, unknown> = {}, template?: BaseJobTemplate) {
  const { config, ctx } = await renderAci(values as never, { template });
  return prepareAciRequest(config, ctx);
}

describe("ACI prepare: Prefect's mutations", () => {
  it("environment: base env + env, the API key as secureValue, everything else as value", async () => {
    const r = await prepared({ env: { EXTRA: "1", PREFECT_API_AUTH_STRING: "user:pw" } });
    const env = containerOf(r.template).environmentVariables as Obj[];
    expect(env).toContainEqual({ name: "PREFECT_API_KEY", secureValue: "pnu_secret" });
    expect(env).toContainEqual({ name: "PREFECT_API_AUTH_STRING", secureValue: "user:pw" });
    expect(env).toContainEqual({ name: "EXTRA", value: "1" });
    expect(env).toContainEqual({ name: "PREFECT_API_URL", value: "https://prefect.example/api" });
    expect(env.find((e) => e.name === "PREFECT_API_KEY")).not.toHaveProperty("value");
  });

  it("command: split like shlex, Prefect's entrypoint first; a null entrypoint leaves the command alone", async () => {
    const r = await prepared({ command: "python -m 'my flow' --x \"a b\"" });
    expect(containerOf(r.template).command).toEqual([
      "/opt/prefect/entrypoint.sh",
      "python",
      "-m",
      "my flow",
      "--x",
      "a b",
    ]);
    const bare = await prepared({ entrypoint: null });
    expect(containerOf(bare.template).command).toEqual(["prefect", "flow-run", "execute"]);
    const custom = await prepared({ entrypoint: "/bin/tini" });
    expect((containerOf(custom.template).command as string[])[0]).toBe("/bin/tini");
  });

  it("a command that cannot be split is an InvalidJobConfigurationError with Python's message", async () => {
    await expect(prepared({ command: "echo 'oops" })).rejects.toThrow(/No closing quotation/);
  });

  it("image is forced to `image`; cpu and memory are the variables'", async () => {
    const r = await prepared({ image: "myreg.azurecr.io/flows:7", cpu: 2, memory: 4 });
    const c = containerOf(r.template);
    expect(c.image).toBe("myreg.azurecr.io/flows:7");
    expect(c.resources).toEqual({ requests: { cpu: 2, memoryInGB: 4 } });
  });

  it("registry credentials: a Docker registry block → {server, username, password}", async () => {
    const r = await prepared({
      image_registry: { username: "u", password: "p@ss", registry_url: "reg.example.com", reauth: true },
    });
    expect(groupOf(r.template).properties.imageRegistryCredentials).toEqual([
      { server: "reg.example.com", username: "u", password: "p@ss" },
    ]);
  });

  it("registry credentials: ACRManagedIdentity → {server, identity}", async () => {
    const identity =
      "/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/pull";
    const r = await prepared({ image_registry: { registry_url: "my.azurecr.io", identity } });
    expect(groupOf(r.template).properties.imageRegistryCredentials).toEqual([
      { server: "my.azurecr.io", identity },
    ]);
  });

  it("identities, subnets and DNS servers", async () => {
    const r = await prepared({
      identities: ["/id/a", "/id/b"],
      subnet_ids: ["/subnets/one"],
      dns_servers: ["10.0.0.4", "10.0.0.5"],
    });
    const group = groupOf(r.template);
    expect(group.identity).toEqual({
      type: "UserAssigned",
      userAssignedIdentities: { "/id/a": {}, "/id/b": {} },
    });
    expect(group.properties.subnetIds).toEqual([{ id: "/subnets/one" }]);
    expect(group.properties.dnsConfig).toEqual({ nameServers: ["10.0.0.4", "10.0.0.5"] });
  });

  it("nothing is added for unset identities, subnets, DNS, registry or GPU", async () => {
    const r = await prepared();
    const group = groupOf(r.template);
    expect(group).not.toHaveProperty("identity");
    for (const key of ["subnetIds", "dnsConfig", "imageRegistryCredentials"])
      expect(group.properties).not.toHaveProperty(key);
    expect(containerOf(r.template).resources).toEqual({ requests: { cpu: 1, memoryInGB: 1 } });
  });

  it("the deployment targets the configured subscription and resource group; the flow's name is kept", async () => {
    const r = await prepared();
    expect(r).toMatchObject({
      resourceGroup: "pushpool-rg",
      subscriptionId: "00000000-0000-4000-8000-00000000005b",
      flowName: "My ETL flow",
      keepContainerGroup: false,
      startTimeoutSeconds: 240,
    });
  });
});

describe("ACI prepare: pushpool's additions (declared differences)", () => {
  it("gpu_count/gpu_sku reach resources.requests.gpu", async () => {
    const r = await prepared({ gpu_count: 1, gpu_sku: "V100" });
    expect(containerOf(r.template).resources).toEqual({
      requests: { cpu: 1, memoryInGB: 1, gpu: { count: 1, sku: "V100" } },
    });
  });

  it("gpu_count without gpu_sku is refused with the field named", async () => {
    await expect(prepared({ gpu_count: 1 })).rejects.toThrow(/gpu_sku: required with gpu_count/);
  });

  it("labels become Azure-valid tags on the group (`/` and the other forbidden characters → `_`)", async () => {
    const r = await prepared({ labels: { team: "data", "odd<key>?": "v" } });
    const tags = groupOf(r.template).tags as Record<string, string>;
    expect(tags.team).toBe("data");
    expect(tags.odd_key__).toBe("v");
    expect(tags["prefect.io_flow-name"]).toBe("My ETL flow");
    expect(Object.keys(tags).every((k) => !/[<>%&\\?/]/.test(k))).toBe(true);
    expect(Object.keys(tags).length).toBeLessThanOrEqual(50);
  });
});

describe("ACI prepare: customised templates and bad input", () => {
  it("a second container, an extra resource and changed defaults are deployed as rendered", async () => {
    const custom = structuredClone(aciTemplate) as unknown as { job_configuration: { arm_template: Obj } };
    const arm = custom.job_configuration.arm_template as { resources: Obj[]; parameters: Obj };
    const group = arm.resources[0] as { properties: { containers: Obj[]; restartPolicy: string } };
    group.properties.restartPolicy = "OnFailure";
    group.properties.containers.push({
      name: "sidecar",
      properties: {
        image: "busybox",
        command: ["sleep", "3600"],
        resources: { requests: { cpu: 0.5, memoryInGB: 0.5 } },
      },
    });
    arm.resources.push({
      type: "Microsoft.Resources/tags",
      apiVersion: "2021-04-01",
      name: "default",
      properties: {},
    });
    const r = await prepared({}, custom as unknown as BaseJobTemplate);
    const out = groupOf(r.template).properties as {
      containers: { properties: Obj }[];
      restartPolicy: string;
    };
    expect(out.restartPolicy).toBe("OnFailure");
    expect(out.containers[1]).toEqual(group.properties.containers[1]);
    expect((r.template.resources as Obj[])[1]).toEqual(arm.resources[1]);
  });

  it.each([
    [{ resource_group_name: null }, /resource_group_name: Input should be a valid string/],
    [{ subscription_id: 5 }, /subscription_id: Input should be a valid string/],
    [{ identities: "not-a-list" }, /identities: Input should be a valid list/],
    [{ image_registry: { registry_url: "r" } }, /image_registry: Input should be an ACRManagedIdentity/],
    [{ gpu_count: 1.5, gpu_sku: "V100" }, /gpu_count: Input should be a valid integer/],
    [{ keep_container_group: "maybe" }, /keep_container_group: Input should be a valid boolean/],
    [{ aci_credentials: { client_id: "only-one" } }, /all must be provided/],
  ])("%j → %s", async (values, message) => {
    const error = await prepared(values).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidJobConfigurationError);
    expect((error as Error).message).toMatch(message);
  });

  it("a template whose first resource has no containers is refused, naming arm_template", async () => {
    const custom = structuredClone(aciTemplate) as unknown as {
      job_configuration: { arm_template: { resources: Obj[] } };
    };
    custom.job_configuration.arm_template.resources = [
      { type: "Microsoft.Storage/storageAccounts", properties: {} },
    ];
    await expect(prepared({}, custom as unknown as BaseJobTemplate)).rejects.toThrow(
      /arm_template: the group has no containers/,
    );
  });
});
