/**
 * @module
 * The Cloud Run v2 backend: serves `cloud-run-v2` pools like prefect-gcp's Cloud Run v2 worker,
 * without a worker.
 *
 * - `prepare` (pure, ./request.ts + ./jobBody.ts): Prefect's `job_body` and its prepare mutations.
 * - `resolve`: the port for the pool's credentials and the parent `projects/{p}/locations/{r}`.
 * - `find` / `start` / `mayHaveStarted`: the start-once primitives. The job id comes from the
 *   claim's token (./jobName.ts), so every delivery of one claim names one job: `find` = GetJob +
 *   its executions (an execution → adopt); `start` = CreateJob (ALREADY_EXISTS → the claim's own
 *   job: its executions are looked at first) then RunJob, sent once; after an ambiguous RunJob
 *   failure core's protocol looks (`find`) before it starts again. The pid is the short job id,
 *   as Prefect records it.
 * - `inspect` = the job's latest execution; `kill` = delete the executions, then the job (a job
 *   whose executions all finished is left as it is); `cleanup` = the same after the run, unless
 *   `keep_job`.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { Backend, BackendContext, InfraStatus, Started } from "../../ports/backend.ts";
import { type Logger, silentLogger } from "../../ports/logger.ts";
import { InfrastructureNotFoundError } from "../../shared/errors.ts";
import {
  classifyCreateError,
  classifyGoogleError,
  isAlreadyExists,
  isNotFound,
  mayHaveStarted,
} from "./classify.ts";
import { jobIdFor } from "./jobName.ts";
import type { CloudRunApi, CloudRunApiFactory, CloudRunExecution } from "./port.ts";
import { type CloudRunDefaults, type CloudRunRequest, locate, prepareCloudRunRequest } from "./request.ts";
import { executionStatus, isFinished } from "./status.ts";

export { chooseProject, type GcpAuth, keyProject, readGcpCredentials } from "./credentials.ts";
export { DEFAULT_IMAGE } from "./jobBody.ts";
export { jobIdFor } from "./jobName.ts";
export type { CloudRunApi, CloudRunApiFactory, GcpCredentialsData } from "./port.ts";
export type { CloudRunDefaults, CloudRunRequest } from "./request.ts";

/**
 * Typical start-up of a Cloud Run job execution: CreateJob (a few seconds until the job is ready),
 * RunJob, then the task is scheduled and the image pulled and started (10–30 s for the Prefect
 * image). The default dispatch lead.
 */
export const CLOUD_RUN_LEAD_SECONDS = 30;

/** A Cloud Run job id: starts with a letter, `[a-z0-9-]`, at most 63 (what `jobIdFor` makes). */
const JOB_ID = /^[a-z][a-z0-9-]{0,62}$/;

export interface CloudRunBackendOptions {
  /** The Cloud Run port for a pool's rendered `credentials` (null → the function's own identity). */
  cloudRunApiFor: CloudRunApiFactory;
  defaults?: CloudRunDefaults;
  logger?: Logger;
}

/** What `resolve` gives the start-once primitives. */
export interface CloudRunLaunch {
  api: CloudRunApi;
  /** `projects/{project}/locations/{region}`. */
  parent: string;
  request: CloudRunRequest;
}

export class CloudRunBackend implements Backend<CloudRunRequest, CloudRunLaunch> {
  readonly type = "cloud-run-v2";
  readonly label = "Cloud Run job";
  readonly leadSeconds = CLOUD_RUN_LEAD_SECONDS;
  private readonly logger: Logger;

  constructor(private readonly options: CloudRunBackendOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  prepare(config: JobConfiguration, ctx: BackendContext): CloudRunRequest {
    return prepareCloudRunRequest(config, ctx, { logger: this.logger, defaults: this.options.defaults });
  }

  async resolve(request: CloudRunRequest): Promise<CloudRunLaunch> {
    const api = this.options.cloudRunApiFor(request.credentials);
    const project = await api.project();
    return { api, parent: `projects/${project}/locations/${request.region}`, request };
  }

  async find(launch: CloudRunLaunch, token: string): Promise<Started | null> {
    const jobId = jobIdFor(launch.request.name, token);
    const name = `${launch.parent}/jobs/${jobId}`;
    try {
      const job = await launch.api.getJob(name);
      if (!job) return null;
      const executions = await launch.api.listExecutions(name);
      return executions.length > 0 ? { pid: jobId } : null;
    } catch (error) {
      throw classifyGoogleError(error, "Failed to look for the Cloud Run job of this claim");
    }
  }

  async start(launch: CloudRunLaunch, token: string, ctx: BackendContext): Promise<Started> {
    const { api, parent, request } = launch;
    const jobId = jobIdFor(request.name, token);
    const name = `${parent}/jobs/${jobId}`;
    try {
      await api.createJob(parent, jobId, request.job);
    } catch (error) {
      if (!isAlreadyExists(error)) {
        const [, project = "", , region = request.region] = parent.split("/");
        throw classifyCreateError(error, { project, region });
      }
      // The id is the claim's: an earlier attempt created it. Did it also run it?
      let executions: CloudRunExecution[];
      try {
        executions = await api.listExecutions(name);
      } catch (lookup) {
        throw classifyGoogleError(
          lookup,
          "Failed to look at the executions of the Cloud Run job of this claim",
        );
      }
      if (executions.length > 0) return { pid: jobId };
    }
    try {
      await api.runJob(name);
    } catch (error) {
      throw classifyGoogleError(error, `Failed to run Cloud Run job ${jobId}`);
    }
    this.logger.debug("Created and ran Cloud Run job", { flowRunId: ctx.flowRun.id, job: name });
    return { pid: jobId };
  }

  mayHaveStarted(error: unknown): boolean {
    return mayHaveStarted(error);
  }

  private async where(pid: string, config: JobConfiguration) {
    const place = locate(config);
    const api = this.options.cloudRunApiFor(place.credentials);
    const project = await api.project();
    return { api, place, project, name: `projects/${project}/locations/${place.region}/jobs/${pid}` };
  }

  async inspect(pid: string, config: JobConfiguration): Promise<InfraStatus> {
    if (!JOB_ID.test(pid)) return { state: "gone", reason: `'${pid}' is not a Cloud Run job name.` };
    const { api, place, project, name } = await this.where(pid, config);
    const missing: InfraStatus = {
      state: "gone",
      reason: `Cloud Run job '${pid}' not found in project '${project}' region '${place.region}'.`,
    };
    try {
      const job = await api.getJob(name);
      if (!job) return missing;
      let latest = job.latestCreatedExecution?.name ?? null;
      if (!latest) {
        const executions = await api.listExecutions(name);
        latest = newest(executions)?.name ?? null;
      }
      if (!latest) return { state: "pending", reason: "Cloud Run job has no execution yet." };
      const execution = await api.getExecution(latest);
      return execution ? executionStatus(execution) : missing;
    } catch (error) {
      throw classifyGoogleError(error, `Failed to read Cloud Run job ${pid}`);
    }
  }

  async kill(pid: string, config: JobConfiguration, _graceSeconds: number): Promise<void> {
    if (!JOB_ID.test(pid)) throw new InfrastructureNotFoundError(`'${pid}' is not a Cloud Run job name.`);
    const { api, place, project, name } = await this.where(pid, config);
    const notFound = (cause?: unknown) =>
      new InfrastructureNotFoundError(
        `Cloud Run V2 Job '${pid}' not found in project '${project}' region '${place.region}'`,
        { cause },
      );
    let executions: CloudRunExecution[];
    try {
      if (!(await api.getJob(name))) throw notFound();
      executions = await api.listExecutions(name);
    } catch (error) {
      if (error instanceof InfrastructureNotFoundError) throw error;
      throw classifyGoogleError(error, `Failed to read Cloud Run job ${pid}`);
    }
    // A finished run stays finished: nothing to stop; cleanup removes the job.
    if (executions.length > 0 && executions.every(isFinished)) return;
    await this.remove(api, name, executions, notFound);
    this.logger.info("Deleted Cloud Run job", { job: name });
  }

  async cleanup(pid: string, config: JobConfiguration): Promise<void> {
    if (!JOB_ID.test(pid)) return;
    const { api, place, name } = await this.where(pid, config);
    if (place.keepJob) return;
    let executions: CloudRunExecution[];
    try {
      if (!(await api.getJob(name))) return;
      executions = await api.listExecutions(name);
    } catch (error) {
      throw classifyGoogleError(error, `Failed to read Cloud Run job ${pid}`);
    }
    if (!executions.every(isFinished)) return; // still running: not ours to remove yet
    await this.remove(api, name, executions, () => null).catch((error: unknown) => {
      if (!(error instanceof InfrastructureNotFoundError)) throw error;
    });
  }

  /** Deletes every execution (a running one is cancelled by its deletion), then the job. */
  private async remove(
    api: CloudRunApi,
    name: string,
    executions: CloudRunExecution[],
    notFound: (cause?: unknown) => Error | null,
  ): Promise<void> {
    for (const execution of executions) {
      if (!execution.name) continue;
      try {
        await api.deleteExecution(execution.name);
      } catch (error) {
        if (!isNotFound(error)) throw classifyGoogleError(error, "Failed to delete Cloud Run execution");
      }
    }
    try {
      await api.deleteJob(name);
    } catch (error) {
      if (isNotFound(error)) {
        const e = notFound(error);
        if (e) throw e;
        return;
      }
      throw classifyGoogleError(error, "Failed to delete Cloud Run job");
    }
  }
}

function newest(executions: CloudRunExecution[]): CloudRunExecution | undefined {
  return [...executions].sort((a, b) =>
    String(b.createTime ?? "").localeCompare(String(a.createTime ?? "")),
  )[0];
}
