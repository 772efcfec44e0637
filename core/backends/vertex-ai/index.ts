/**
 * @module
 * The Vertex AI backend: serves `vertex-ai` pools like prefect-gcp's Vertex worker, without a
 * worker: each flow run is one Vertex AI CustomJob.
 *
 * - `prepare` (pure, ./request.ts): Prefect's `job_spec` → CustomJob, with its prepare mutations.
 * - `resolve`: the port for the pool's credentials and region, the parent
 *   `projects/{p}/locations/{r}`, and the service account when it is the credentials' own.
 * - start-once: the claim's token rides on the job as the label `pushpool-token`; `find` lists
 *   the custom jobs with that label; `start` = CreateCustomJob, sent once (Prefect's worker retries
 *   it on any error, and can start duplicates). After an ambiguous failure, core's protocol looks
 *   (`find`) before it creates again. The pid is the full resource name, as Prefect records it.
 * - `inspect` = GetCustomJob's state (./status.ts); `kill` = CancelCustomJob (unknown →
 *   InfrastructureNotFoundError; a job that already ended is left as it is). No cleanup: custom
 *   jobs persist, as with Prefect's worker.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, Started } from "../../ports/backend.ts";
import { type Logger, silentLogger } from "../../ports/logger.ts";
import { InfrastructureNotFoundError, InvalidJobConfigurationError } from "../../shared/errors.ts";
import {
  classifyCreateError,
  classifyGoogleError,
  isFailedPrecondition,
  isNotFound,
  mayHaveStarted,
} from "./classify.ts";
import { NO_SERVICE_ACCOUNT } from "./customJob.ts";
import { TOKEN_LABEL } from "./labels.ts";
import type { VertexApi, VertexApiFactory, VertexCustomJob } from "./port.ts";
import { locate, prepareVertexRequest, type VertexRequest } from "./request.ts";
import { customJobStatus, isTerminal } from "./status.ts";

export { TOKEN_LABEL, vertexLabels } from "./labels.ts";
export type { GcpCredentialsData, VertexApi, VertexApiFactory, VertexCustomJob } from "./port.ts";
export type { VertexRequest } from "./request.ts";

/**
 * Typical start-up of a Vertex AI custom job: it queues, a VM is provisioned and the image pulled
 * before the container starts — one to a few minutes. The default dispatch lead.
 */
export const VERTEX_LEAD_SECONDS = 120;

/** A CustomJob's full resource name (the pid). */
const PID = /^projects\/([^/]+)\/locations\/([^/]+)\/customJobs\/([^/]+)$/;

export interface VertexBackendOptions {
  /** The Vertex port for a pool's rendered `credentials` (null → the function's own identity) in a region. */
  vertexApiFor: VertexApiFactory;
  logger?: Logger;
}

/** What `resolve` gives the start-once primitives. */
export interface VertexLaunch {
  api: VertexApi;
  /** `projects/{project}/locations/{region}`. */
  parent: string;
  request: VertexRequest;
  /** The run-as service account. */
  serviceAccount: string;
}

/** The CreateCustomJob body of one claim: the display name and the token label are the claim's. */
export function customJobBody(request: VertexRequest, token: string, serviceAccount: string) {
  return {
    displayName: `${request.displayNameStem}-${token.slice(3)}`,
    jobSpec: { ...request.job.jobSpec, serviceAccount },
    labels: { ...request.job.labels, [TOKEN_LABEL]: token },
  };
}

export class VertexBackend implements Backend<VertexRequest, VertexLaunch> {
  readonly type = "vertex-ai";
  readonly label = "Vertex AI custom job";
  readonly leadSeconds = VERTEX_LEAD_SECONDS;
  private readonly logger: Logger;

  constructor(private readonly options: VertexBackendOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  prepare(config: JobConfiguration, ctx: BackendContext): VertexRequest {
    return prepareVertexRequest(config, ctx);
  }

  async resolve(request: VertexRequest, _ctx?: BackendContext): Promise<VertexLaunch> {
    const api = this.options.vertexApiFor(request.credentials, request.region);
    const project = await api.project();
    let serviceAccount = request.job.jobSpec.serviceAccount;
    if (!request.serviceAccountKnown || typeof serviceAccount !== "string" || !serviceAccount) {
      const email = await api.serviceAccountEmail();
      if (!email)
        throw new InvalidJobConfigurationError(`job_spec.service_account_name: ${NO_SERVICE_ACCOUNT}`);
      serviceAccount = email;
    }
    return { api, parent: `projects/${project}/locations/${request.region}`, request, serviceAccount };
  }

  async find(launch: VertexLaunch, token: string, _ctx?: BackendContext): Promise<Started | null> {
    let jobs: VertexCustomJob[];
    try {
      jobs = await launch.api.listCustomJobs(launch.parent, `labels.${TOKEN_LABEL}="${token}"`);
    } catch (error) {
      throw classifyGoogleError(error, "Failed to look for the Vertex AI custom job of this claim");
    }
    const mine = jobs
      .filter((j) => j.labels?.[TOKEN_LABEL] === token && j.name)
      .sort((a, b) => String(a.createTime ?? "").localeCompare(String(b.createTime ?? "")));
    return mine[0]?.name ? { pid: mine[0].name } : null;
  }

  async start(launch: VertexLaunch, token: string, ctx: BackendContext): Promise<Started> {
    const { api, parent, request } = launch;
    let job: VertexCustomJob;
    try {
      job = await api.createCustomJob(parent, customJobBody(request, token, launch.serviceAccount));
    } catch (error) {
      throw classifyCreateError(error, parent, request.region);
    }
    if (!job.name)
      throw classifyGoogleError(
        new Error("CreateCustomJob answered a job without a name"),
        "Failed to create Vertex AI custom job",
      );
    this.logger.info("Created Vertex AI custom job", { flowRunId: ctx.flowRun.id, job: job.name });
    return { pid: job.name };
  }

  mayHaveStarted(error: unknown): boolean {
    return mayHaveStarted(error);
  }

  private apiFor(region: string, config: JobConfiguration): VertexApi {
    return this.options.vertexApiFor(locate(config), region);
  }

  async inspect(pid: string, config: JobConfiguration, _ctx?: BackendContext): Promise<InfraStatus> {
    const m = PID.exec(pid);
    if (!m) return { state: "gone", reason: `'${pid}' is not a Vertex AI custom job name.` };
    try {
      const job = await this.apiFor(m[2] as string, config).getCustomJob(pid);
      return job ? customJobStatus(job) : { state: "gone", reason: `Vertex AI job '${pid}' not found.` };
    } catch (error) {
      throw classifyGoogleError(error, `Failed to read Vertex AI job ${pid}`);
    }
  }

  async kill(
    pid: string,
    config: JobConfiguration,
    _graceSeconds: number,
    _ctx?: BackendContext,
  ): Promise<void> {
    const m = PID.exec(pid);
    if (!m) throw new InfrastructureNotFoundError(`'${pid}' is not a Vertex AI custom job name.`);
    const api = this.apiFor(m[2] as string, config);
    try {
      await api.cancelCustomJob(pid);
      this.logger.info("Cancelled Vertex AI job", { job: pid });
    } catch (error) {
      if (isNotFound(error))
        throw new InfrastructureNotFoundError(`Vertex AI job '${pid}' not found`, { cause: error });
      // Vertex refuses to cancel a job that has ended (FAILED_PRECONDITION): a finished run stays
      // finished. Any other refusal is looked at the same way before it is reported.
      if (isFailedPrecondition(error) || !mayHaveStarted(error)) {
        const job = await api.getCustomJob(pid).catch(() => undefined);
        if (job === null)
          throw new InfrastructureNotFoundError(`Vertex AI job '${pid}' not found`, { cause: error });
        if (job && isTerminal(job)) return;
      }
      throw classifyGoogleError(error, `Failed to cancel Vertex AI job ${pid}`);
    }
  }
}
