/**
 * @module
 * The ACI backend: serves `azure-container-instance` pools like Prefect's ACI worker, without a
 * worker.
 *
 * - `prepare` (pure, ./prepare.ts): the rendered `arm_template` with Prefect's
 *   `prepare_for_flow_run` mutations, plus GPU and the labels as tags.
 * - `find` / `start` / `mayHaveStarted` (./claim.ts): one incremental deployment per claim, named
 *   as Prefect names it, tagged with the claim's token; core's protocol adopts what a resumed claim
 *   or a lost answer already deployed. The pid is `<flow_run_id>:<group>`, as Prefect records it.
 *   `start` returns once ARM accepted the deployment: no 240 s watch.
 * - `inspect` (./status.ts): the group's instance view (or its deployment while it runs) → core's
 *   status, the start timeout judged from the claim, and the log tail of a container that ended
 *   before the flow started; `kill` = stop (`keep_container_group`) or delete; `cleanup` likewise.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, Started } from "../../ports/backend.ts";
import { type Logger, silentLogger } from "../../ports/logger.ts";
import { InfrastructureNotFoundError, TransientError } from "../../shared/errors.ts";
import { deployClaim, findClaimGroup, groupNameFor } from "./claim.ts";
import { AZURE_RETRY_SECONDS, classifyAzureError, isNotFound, mayHaveStarted } from "./classify.ts";
import { deploymentName, formatPid, parsePid } from "./names.ts";
import type { AciApi, AciApiFactory } from "./port.ts";
import { type AciRequest, prepareAciRequest } from "./prepare.ts";
import { type AciSettings, readAciSettings } from "./settings.ts";
import { deploymentStatus, groupStatus, type StartClock } from "./status.ts";

export { azureCredentialOf } from "./credentials.ts";
export { type AciRequest, DEFAULT_IMAGE, prepareAciRequest } from "./prepare.ts";

/** Typical start-up of a container group (deployment, image pull): the default dispatch lead. */
export const ACI_LEAD_SECONDS = 60;
/** Log lines read from a container that ended before its flow started (Prefect streams 100). */
export const CRASH_LOG_TAIL = 100;

export interface AciBackendOptions {
  /** The ARM port for a pool's credentials and subscription. */
  aciApiFor: AciApiFactory;
  defaults?: { image?: string };
  logger?: Logger;
  /** The clock the start timeout is judged by (default Date.now). */
  now?(): number;
}

/** What `resolve` gives the start-once primitives. */
export interface AciLaunch {
  api: AciApi;
  request: AciRequest;
}

export class AciBackend implements Backend<AciRequest, AciLaunch> {
  readonly type = "azure-container-instance";
  readonly label = "ACI container group";
  readonly leadSeconds = ACI_LEAD_SECONDS;
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly options: AciBackendOptions) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
  }

  prepare(config: JobConfiguration, ctx: BackendContext): AciRequest {
    return prepareAciRequest(config, ctx, this.options.defaults);
  }

  async resolve(request: AciRequest): Promise<AciLaunch> {
    return { api: this.options.aciApiFor(request.credential, request.subscriptionId), request };
  }

  async find(launch: AciLaunch, token: string): Promise<Started | null> {
    const group = await findClaimGroup(launch.api, launch.request, token);
    return group ? { pid: formatPid(launch.request.flowRunId, group) } : null;
  }

  async start(launch: AciLaunch, token: string, ctx: BackendContext): Promise<Started> {
    const group = await groupNameFor(launch.api, launch.request, token);
    await deployClaim(launch.api, launch.request, group, token);
    this.logger.debug("Deployed ACI container group", {
      flowRunId: ctx.flowRun.id,
      deployment: deploymentName(group),
      resourceGroup: launch.request.resourceGroup,
    });
    return { pid: formatPid(launch.request.flowRunId, group) };
  }

  mayHaveStarted(error: unknown): boolean {
    return mayHaveStarted(error);
  }

  async inspect(pid: string, config: JobConfiguration, ctx: BackendContext): Promise<InfraStatus> {
    const parsed = parsePid(pid);
    if (!parsed)
      return { state: "gone", reason: `'${pid}' is not an ACI pid (<flow_run_id>:<container_group_name>).` };
    const s = readAciSettings(config);
    const api = this.options.aciApiFor(s.credential, s.subscriptionId);
    const clock = this.clockOf(ctx, s.startTimeoutSeconds);
    try {
      const group = await api.getContainerGroup(s.resourceGroup, parsed.group);
      if (!group) {
        const deployment = await api.getDeployment(s.resourceGroup, deploymentName(parsed.group));
        return deploymentStatus(parsed.group, s.resourceGroup, deployment, clock);
      }
      const status = groupStatus(group, clock);
      const container = group.properties.containers[0];
      if (status.state === "failed" && !ctx.flowRun.start_time && container)
        status.logs = await this.tail(api, s.resourceGroup, parsed.group, container.name);
      return status;
    } catch (error) {
      throw classifyAzureError(error, "Failed to read the ACI container group", s.subscriptionId);
    }
  }

  /** Stops (keep_container_group) or deletes a running group; a finished one is left to `cleanup`. */
  async kill(
    pid: string,
    config: JobConfiguration,
    _graceSeconds: number,
    _ctx?: BackendContext,
  ): Promise<void> {
    const parsed = parsePid(pid);
    if (!parsed)
      throw new InfrastructureNotFoundError(
        `'${pid}' is not an ACI pid (<flow_run_id>:<container_group_name>).`,
      );
    const s = readAciSettings(config);
    const api = this.options.aciApiFor(s.credential, s.subscriptionId);
    const notFound = (cause?: unknown) =>
      new InfrastructureNotFoundError(
        `Container group '${parsed.group}' not found in resource group '${s.resourceGroup}'`,
        { cause },
      );
    let group: Awaited<ReturnType<AciApi["getContainerGroup"]>>;
    try {
      group = await api.getContainerGroup(s.resourceGroup, parsed.group);
      if (!group) {
        const deployment = await api.getDeployment(s.resourceGroup, deploymentName(parsed.group));
        const state = deployment?.properties.provisioningState ?? "";
        if (deployment && !["Succeeded", "Failed", "Canceled"].includes(state))
          throw new TransientError(
            `The deployment of container group '${parsed.group}' is still ${state.toLowerCase() || "accepted"}; it is stopped once it exists.`,
            AZURE_RETRY_SECONDS,
          );
        throw notFound();
      }
    } catch (error) {
      throw classifyAzureError(error, "Failed to read the ACI container group", s.subscriptionId);
    }
    if (group.properties.containers[0]?.properties.instanceView?.currentState?.state === "Terminated") return;
    await this.remove(api, s, parsed.group, notFound);
    this.logger.info(s.keepContainerGroup ? "Stopped ACI container group" : "Deleted ACI container group", {
      group: parsed.group,
      resourceGroup: s.resourceGroup,
    });
  }

  /** Removes a finished group as Prefect's worker does after a run: stop when kept, else delete. */
  async cleanup(pid: string, config: JobConfiguration): Promise<void> {
    const parsed = parsePid(pid);
    if (!parsed) return;
    const s = readAciSettings(config);
    const api = this.options.aciApiFor(s.credential, s.subscriptionId);
    try {
      await this.remove(api, s, parsed.group, (cause) => cause);
    } catch (error) {
      if (!isNotFound(error) && !(error instanceof InfrastructureNotFoundError)) throw error;
    }
  }

  private async remove(
    api: AciApi,
    s: AciSettings,
    group: string,
    notFound: (cause: unknown) => unknown,
  ): Promise<void> {
    const { resourceGroup: rg, keepContainerGroup: keep } = s;
    try {
      if (keep) await api.stopContainerGroup(rg, group);
      else await api.deleteContainerGroup(rg, group);
    } catch (error) {
      if (isNotFound(error)) throw notFound(error);
      throw classifyAzureError(
        error,
        `Failed to ${keep ? "stop" : "delete"} the ACI container group`,
        s.subscriptionId,
      );
    }
  }

  private clockOf(ctx: BackendContext, timeoutSeconds: number): StartClock {
    const state = ctx.flowRun.state;
    const claimedAt = state?.type === "PENDING" ? Date.parse(state.timestamp ?? "") : Number.NaN;
    return { ageSeconds: (this.now() - claimedAt) / 1000, timeoutSeconds };
  }

  /** The log tail of a container, best effort (a log read never decides a status). */
  private async tail(api: AciApi, rg: string, group: string, container: string): Promise<string[]> {
    try {
      const text = await api.listLogs(rg, group, container, CRASH_LOG_TAIL);
      return text.split("\n").filter((line) => line.trim() !== "");
    } catch (error) {
      this.logger.warn("could not read the ACI container log", { group, error: (error as Error).message });
      return [];
    }
  }
}
