/**
 * @module
 * The narrow port through which the ACI backend reaches Azure Resource Manager. `functions/azure/`
 * implements it with `@azure/arm-resources` (deployments) and `@azure/arm-containerinstance`
 * (container groups, logs); unit tests use a hand-written fake. No SDK import here: core never
 * loads a cloud SDK at runtime. The shapes are ARM's JSON (REST) shapes, trimmed to what the
 * backend reads.
 *
 * Every method throws the SDK's own error on failure (`RestError`: `statusCode`, `code`,
 * `message`), which the backend classifies (./classify.ts). A resource that does not exist is
 * `null` for the getters, and a 404 error for `stop`/`delete`.
 */

/** The body of a deployment PUT (`Microsoft.Resources/deployments`). */
export interface ArmDeployment {
  properties: {
    mode: "Incremental";
    template: Record<string, unknown>;
    parameters: Record<string, { value: unknown }>;
  };
  tags?: Record<string, string>;
}

/** A deployment as GET answers it (trimmed). */
export interface ArmDeploymentView {
  name: string;
  tags?: Record<string, string>;
  properties: {
    /** Accepted, Running, Succeeded, Failed, Canceled… */
    provisioningState?: string;
    error?: ArmErrorBody | null;
  };
}

/** ARM's error body (`{ error: { code, message, details } }`'s inner object). */
export interface ArmErrorBody {
  code?: string;
  message?: string;
  details?: ArmErrorBody[];
}

/** One container's state in a container group's instance view. */
export interface ArmContainerState {
  /** Waiting, Running, Terminated. */
  state?: string;
  exitCode?: number | null;
  detailStatus?: string;
  startTime?: string;
  finishTime?: string;
}

/** A container group as GET answers it (trimmed to what the backend reads). */
export interface ArmContainerGroupView {
  name: string;
  tags?: Record<string, string>;
  properties: {
    /** Pending, Creating, Succeeded, Failed, Canceled… */
    provisioningState?: string;
    containers: {
      name: string;
      properties: {
        instanceView?: {
          currentState?: ArmContainerState;
          restartCount?: number;
          events?: { name?: string; message?: string; type?: string }[];
        };
      };
    }[];
    instanceView?: { state?: string; events?: { name?: string; message?: string; type?: string }[] };
  };
}

export interface AciApi {
  /**
   * PUT `Microsoft.Resources/deployments/<name>` in the resource group (incremental). Resolves once
   * ARM accepted it (201/200), without waiting for the long-running operation; sent once per call
   * (no automatic retry: core's start-once protocol decides).
   */
  deploy(resourceGroup: string, deploymentName: string, deployment: ArmDeployment): Promise<void>;
  /** GET the deployment; null when it does not exist. */
  getDeployment(resourceGroup: string, deploymentName: string): Promise<ArmDeploymentView | null>;
  /** GET the container group (with instance views); null when it does not exist. */
  getContainerGroup(resourceGroup: string, name: string): Promise<ArmContainerGroupView | null>;
  /** POST …/stop: every container is terminated, the group kept. 404 when it does not exist. */
  stopContainerGroup(resourceGroup: string, name: string): Promise<void>;
  /** DELETE the group (the long-running operation started, not awaited). 404 when it does not exist. */
  deleteContainerGroup(resourceGroup: string, name: string): Promise<void>;
  /** GET …/containers/<container>/logs?tail=<tail>: the log text (may be empty). */
  listLogs(resourceGroup: string, group: string, container: string, tail: number): Promise<string>;
}

/** How the runtime authenticates to Azure for one pool (./credentials.ts decides). */
export type AzureCredentialChoice =
  | {
      kind: "client-secret";
      tenantId: string;
      clientId: string;
      /** A function, so that the secret never travels in a log line or a serialised object. */
      clientSecret(): string;
      options: Record<string, unknown>;
    }
  | { kind: "default"; options: Record<string, unknown> };

/** The port for a subscription with a pool's credentials (cached by the runtime). */
export type AciApiFactory = (credential: AzureCredentialChoice, subscriptionId: string) => AciApi;
