/**
 * A hand-written {@link AciApi} for unit tests: deployments and groups in maps, each call recorded,
 * errors injectable per method. Deploying creates the group at once, Running.
 */
import type {
  AciApi,
  ArmContainerGroupView,
  ArmDeployment,
  ArmDeploymentView,
} from "../../../core/backends/azure-container-instance/port.ts";

export function restError(statusCode: number | undefined, code: string, message = code): Error {
  return Object.assign(new Error(message), { name: "RestError", statusCode, code });
}

export class FakeAciApi implements AciApi {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly deployments = new Map<string, { body: ArmDeployment; view: ArmDeploymentView }>();
  readonly groups = new Map<string, ArmContainerGroupView>();
  readonly logs = new Map<string, string>();
  readonly failures: Partial<Record<keyof AciApi, Error>> = {};

  private record(method: keyof AciApi, args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures[method];
    if (failure) {
      delete this.failures[method];
      throw failure;
    }
  }

  /** A group as ACI shows it: one container in `state`. */
  static group(
    name: string,
    state: string,
    extra: Partial<ArmContainerGroupView["properties"]> = {},
    tags = {},
  ) {
    return {
      name,
      tags,
      properties: {
        provisioningState: "Succeeded",
        containers: [{ name: "main", properties: { instanceView: { currentState: { state } } } }],
        ...extra,
      },
    } satisfies ArmContainerGroupView;
  }

  async deploy(rg: string, name: string, body: ArmDeployment): Promise<void> {
    this.record("deploy", [rg, name, body]);
    this.deployments.set(name, {
      body: structuredClone(body),
      view: { name, tags: body.tags, properties: { provisioningState: "Running" } },
    });
    const group = String(body.properties.parameters.container_group_name?.value);
    const tags = (body.properties.template.resources as { tags?: Record<string, string> }[])[0]?.tags ?? {};
    if (!this.groups.has(group)) this.groups.set(group, FakeAciApi.group(group, "Running", {}, tags));
  }
  async getDeployment(rg: string, name: string) {
    this.record("getDeployment", [rg, name]);
    return structuredClone(this.deployments.get(name)?.view ?? null);
  }
  async getContainerGroup(rg: string, name: string) {
    this.record("getContainerGroup", [rg, name]);
    return structuredClone(this.groups.get(name) ?? null);
  }
  async stopContainerGroup(rg: string, name: string) {
    this.record("stopContainerGroup", [rg, name]);
    if (!this.groups.has(name)) throw restError(404, "ResourceNotFound");
  }
  async deleteContainerGroup(rg: string, name: string) {
    this.record("deleteContainerGroup", [rg, name]);
    if (!this.groups.delete(name)) throw restError(404, "ResourceNotFound");
  }
  async listLogs(rg: string, group: string, container: string, tail: number) {
    this.record("listLogs", [rg, group, container, tail]);
    return this.logs.get(group) ?? "";
  }
  methods(): string[] {
    return this.calls.map((c) => c.method);
  }
}
