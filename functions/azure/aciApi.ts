/**
 * @module
 * The Azure SDK implementation of the ACI backend's {@link AciApi} port, and the factory that maps
 * a pool's credential choice (core/backends/azure-container-instance/credentials.ts) and
 * subscription to SDK clients (cached per credential and subscription).
 *
 * - Deployments: `@azure/arm-resources` 7 moved `deployments` out of `ResourceManagementClient`
 *   (into `@azure/arm-resourcesdeployments`, not a dependency here), so the deployment is put and
 *   read as the ARM resource it is, through the generic `resources.beginCreateOrUpdateById` /
 *   `getById` (`Microsoft.Resources/deployments`, api-version {@link DEPLOYMENTS_API_VERSION}): the
 *   same PUT body and URL `deployments.begin_create_or_update` sends. Its client sends the PUT
 *   **once** (`maxRetries: 0`): a retry after a lost answer is core's start-once protocol's call.
 *   Only the initial request is awaited, never the long-running operation.
 * - Container groups and logs: `@azure/arm-containerinstance` (`containerGroups.get/stop/
 *   beginDelete`, `containers.listLogs`), mapped back to ARM's JSON shape.
 * - Credentials: a client-secret credential, or `DefaultAzureCredential` (a Function App's managed
 *   identity); tests inject their own credential, endpoint and https agent.
 */
import { createHash } from "node:crypto";
import type { Agent } from "node:https";
import { type ContainerGroup, ContainerInstanceManagementClient } from "@azure/arm-containerinstance";
import { ResourceManagementClient } from "@azure/arm-resources";
import type { TokenCredential } from "@azure/core-auth";
import { ClientSecretCredential, DefaultAzureCredential } from "@azure/identity";
import type {
  AciApi,
  AciApiFactory,
  ArmContainerGroupView,
  ArmDeploymentView,
  AzureCredentialChoice,
} from "../../core/backends/azure-container-instance/port.ts";

/** The deployments api-version the generic resource calls use. */
export const DEPLOYMENTS_API_VERSION = "2024-03-01";

export interface AzureBaseConfig {
  /** Resource Manager endpoint (default `https://management.azure.com`). */
  endpoint?: string;
  /** A credential for every client (tests); by default the pool's choice. */
  credential?: TokenCredential;
  /** An https agent for every client (tests: one trusting a local CA). */
  agent?: Agent;
}

/** The SDK credential for a choice (the secret read only here, into the SDK). */
export function credentialFor(choice: AzureCredentialChoice): TokenCredential {
  if (choice.kind === "client-secret")
    return new ClientSecretCredential(
      choice.tenantId,
      choice.clientId,
      choice.clientSecret(),
      choice.options,
    );
  return new DefaultAzureCredential(choice.options);
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const statusOf = (error: unknown) => (error as { statusCode?: unknown })?.statusCode;

async function orNull<T>(call: () => Promise<T>): Promise<T | null> {
  try {
    return await call();
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
}

/** An SDK container group (flattened) → ARM's JSON shape. */
export function groupView(g: ContainerGroup): ArmContainerGroupView {
  return {
    name: g.name ?? "",
    tags: g.tags,
    properties: {
      provisioningState: g.provisioningState,
      containers: (g.containers ?? []).map((c) => ({
        name: c.name,
        properties: {
          instanceView: c.instanceView && {
            restartCount: c.instanceView.restartCount,
            events: c.instanceView.events,
            currentState: c.instanceView.currentState && {
              state: c.instanceView.currentState.state,
              exitCode: c.instanceView.currentState.exitCode,
              detailStatus: c.instanceView.currentState.detailStatus,
              startTime: c.instanceView.currentState.startTime?.toISOString(),
              finishTime: c.instanceView.currentState.finishTime?.toISOString(),
            },
          },
        },
      })),
      instanceView: g.instanceView && { state: g.instanceView.state, events: g.instanceView.events },
    },
  };
}

/** The port over SDK clients for one subscription and credential. */
export function aciApi(
  subscriptionId: string,
  credential: TokenCredential,
  base: AzureBaseConfig = {},
): AciApi {
  const common = {
    ...(base.endpoint ? { endpoint: base.endpoint } : {}),
    ...(base.agent ? { agent: base.agent } : {}),
  };
  const resources = new ResourceManagementClient(credential, subscriptionId, common);
  const once = new ResourceManagementClient(credential, subscriptionId, {
    ...common,
    retryOptions: { maxRetries: 0 },
  });
  const aci = new ContainerInstanceManagementClient(credential, subscriptionId, common);
  const deploymentId = (rg: string, name: string) =>
    `/subscriptions/${subscriptionId}/resourceGroups/${rg}/providers/Microsoft.Resources/deployments/${name}`;
  return {
    async deploy(rg, name, deployment) {
      await once.resources.beginCreateOrUpdateById(
        deploymentId(rg, name),
        DEPLOYMENTS_API_VERSION,
        deployment,
      );
    },
    async getDeployment(rg, name) {
      const found = await orNull(() =>
        resources.resources.getById(deploymentId(rg, name), DEPLOYMENTS_API_VERSION),
      );
      if (!found) return null;
      return {
        name: found.name ?? name,
        tags: found.tags,
        properties: (found.properties ?? {}) as ArmDeploymentView["properties"],
      };
    },
    async getContainerGroup(rg, name) {
      const found = await orNull(() => aci.containerGroups.get(rg, name));
      return found ? groupView(found) : null;
    },
    async stopContainerGroup(rg, name) {
      await aci.containerGroups.stop(rg, name);
    },
    async deleteContainerGroup(rg, name) {
      await aci.containerGroups.beginDelete(rg, name);
    },
    async listLogs(rg, group, container, tail) {
      const logs = await aci.containers.listLogs(rg, group, container, { tail, timestamps: false });
      return logs.content ?? "";
    },
  };
}

/** The factory the backend takes: ports cached per credential choice and subscription. */
export function aciApiFactory(base: AzureBaseConfig = {}): AciApiFactory {
  const cache = new Map<string, AciApi>();
  return (choice, subscriptionId) => {
    // A changed secret (the block edited) makes new clients; the key holds only the secret's hash.
    const key =
      choice.kind === "default"
        ? `default|${subscriptionId}|${JSON.stringify(choice.options)}`
        : `secret|${subscriptionId}|${choice.tenantId}|${choice.clientId}|${sha256(choice.clientSecret())}|${JSON.stringify(choice.options)}`;
    let api = cache.get(key);
    if (!api) {
      api = aciApi(subscriptionId, base.credential ?? credentialFor(choice), base);
      cache.set(key, api);
    }
    return api;
  };
}
