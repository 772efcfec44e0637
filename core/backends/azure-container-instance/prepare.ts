/**
 * @module
 * `prepare` (pure): a rendered `azure-container-instance` job configuration → the ARM template to
 * deploy, with Prefect's `AzureContainerJobConfiguration.prepare_for_flow_run` mutations on the
 * first resource (the container group) and its first container, exactly:
 * - `environmentVariables` := the prepared env (base env + env), `PREFECT_API_KEY` and
 *   `PREFECT_API_AUTH_STRING` as `secureValue`, the others as `value`;
 * - `command` := the command split like Python's shlex, then `entrypoint` put first;
 * - `image` forced to `image`;
 * - `imageRegistryCredentials` (ACR managed identity `{server, identity}` or Docker registry
 *   `{server, username, password}`), `identity` (UserAssigned), `subnetIds`, `dnsConfig`.
 * pushpool's additions (declared differences, docs/parity/differences.md): `gpu_count`/`gpu_sku`
 * reach `resources.requests.gpu`, and Prefect's labels become the group's tags. Everything else in
 * a customised template (more resources, more containers, other defaults) is deployed as rendered.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { BackendContext } from "../../ports/backend.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, type PlainObject } from "../../shared/plain.ts";
import { shlexSplit } from "../shlex.ts";
import type { AzureCredentialChoice } from "./port.ts";
import { type ImageRegistry, readAciSettings } from "./settings.ts";
import { groupTags } from "./tags.ts";

/** Image when the configuration names none (Prefect: the image matching its own version). */
export const DEFAULT_IMAGE = "prefecthq/prefect:3-latest";

/** Environment variables ACI keeps out of its logs and API answers (Prefect's `ENV_SECRETS`). */
export const SECURE_ENV = new Set(["PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"]);

/** What `prepare` gives `start`: the template to deploy and where. */
export interface AciRequest {
  flowRunId: string;
  /** The flow's name (for the group name), from the prepared `prefect.io/flow-name` label. */
  flowName: string;
  resourceGroup: string;
  subscriptionId: string;
  credential: AzureCredentialChoice;
  /** The rendered template with Prefect's mutations (the claim tag is added at start). */
  template: PlainObject;
  startTimeoutSeconds: number;
  keepContainerGroup: boolean;
}

function badTemplate(what: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(
    `arm_template: ${what} (Prefect's ACI worker expects the container group as the first resource, with its container first in properties.containers).`,
  );
}

function object(value: unknown, what: string): PlainObject {
  if (!isPlainObject(value)) throw badTemplate(what);
  return value;
}

function registryCredentials(registry: ImageRegistry): PlainObject[] {
  if (registry.kind === "acr-identity") return [{ server: registry.server, identity: registry.identity }];
  return [{ server: registry.server, username: registry.username, password: registry.password }];
}

/** Builds the deployment template for one flow run. */
export function prepareAciRequest(
  config: JobConfiguration,
  ctx: BackendContext,
  defaults: { image?: string } = {},
): AciRequest {
  const s = readAciSettings(config);
  const template = s.armTemplate;
  const resources = template.resources;
  if (!Array.isArray(resources) || resources.length === 0) throw badTemplate("no resources");
  const group = object(resources[0], "the first resource is not an object");
  const groupProps = object(group.properties, "the container group has no properties");
  const containers = groupProps.containers;
  if (!Array.isArray(containers) || containers.length === 0) throw badTemplate("the group has no containers");
  const container = object(containers[0], "the first container is not an object");
  const props = object(container.properties, "the first container has no properties");

  props.environmentVariables = Object.entries(config.env).map(
    ([name, value]): PlainObject => (SECURE_ENV.has(name) ? { name, secureValue: value } : { name, value }),
  );
  if (config.command) props.command = shlexSplit(config.command);
  props.image = s.image ?? defaults.image ?? DEFAULT_IMAGE;
  if (s.entrypoint) {
    if (!Array.isArray(props.command))
      throw new InvalidJobConfigurationError(
        "command: the container's command must be a list to put the entrypoint before it (set `command`, or `entrypoint` to null).",
      );
    props.command = [s.entrypoint, ...props.command];
  }
  if (s.imageRegistry) groupProps.imageRegistryCredentials = registryCredentials(s.imageRegistry);
  if (s.identities?.length)
    group.identity = {
      type: "UserAssigned",
      userAssignedIdentities: Object.fromEntries(s.identities.map((id) => [id, {}])),
    };
  if (s.subnetIds?.length) groupProps.subnetIds = s.subnetIds.map((id) => ({ id }));
  if (s.dnsServers?.length) groupProps.dnsConfig = { nameServers: s.dnsServers };
  if (s.gpuCount) addGpu(props, s.gpuCount, s.gpuSku);
  if (group.tags === undefined || isPlainObject(group.tags))
    group.tags = withoutClaim(groupTags((group.tags as PlainObject) ?? {}, config.labels, ""));

  return {
    flowRunId: ctx.flowRun.id,
    flowName: config.labels["prefect.io/flow-name"] ?? ctx.flowRun.name,
    resourceGroup: s.resourceGroup,
    subscriptionId: s.subscriptionId,
    credential: s.credential,
    template,
    startTimeoutSeconds: s.startTimeoutSeconds,
    keepContainerGroup: s.keepContainerGroup,
  };
}

function withoutClaim(tags: Record<string, unknown>): PlainObject {
  const { "pushpool-claim-token": _claim, ...rest } = tags;
  return rest as PlainObject;
}

/** `resources.requests.gpu = {count, sku}` on the flow's container. */
function addGpu(props: PlainObject, count: number, sku: string | null): void {
  if (!sku)
    throw new InvalidJobConfigurationError(
      "gpu_sku: required with gpu_count (an Azure GPU SKU such as V100; see the ACI documentation for the SKUs of each region).",
    );
  const resources = isPlainObject(props.resources) ? props.resources : {};
  const requests = isPlainObject(resources.requests) ? resources.requests : {};
  props.resources = { ...resources, requests: { ...requests, gpu: { count, sku } } };
}
