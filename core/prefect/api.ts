/**
 * @module
 * The port through which the use cases talk to Prefect. `PrefectClient` implements it over
 * HTTP; unit tests use a small hand-written fake.
 */
import type {
  BlockDocument,
  Deployment,
  Flow,
  FlowRun,
  FlowRunCreate,
  Json,
  JsonObject,
  LogCreate,
  OrchestrationResult,
  State,
  StateCreate,
  WorkerFlowRunResponse,
  WorkPool,
} from "./types.ts";

export interface ScheduledRunsQuery {
  scheduledBefore: Date;
  scheduledAfter?: Date;
  workQueueNames?: string[];
  limit?: number;
}

export interface FlowRunFilter {
  /** state types to match (`flow_runs.state.type.any_`) */
  stateTypes?: string[];
  /** state names to match (`flow_runs.state.name.any_`) */
  stateNames?: string[];
  /** work pool names (`work_pools.name.any_`) */
  workPoolNames?: string[];
  ids?: string[];
  /** Runs whose next scheduled start is at or before this (`flow_runs.next_scheduled_start_time.before_`). */
  scheduledBefore?: Date;
  /** Runs that ended at or after this (`flow_runs.end_time.after_`). */
  endTimeAfter?: Date;
  limit?: number;
  offset?: number;
  /**
   * Prefect's flow-run sort (default `EXPECTED_START_TIME_ASC`). Paging with `offset` needs a
   * total order: `ID_DESC` (PostgreSQL returns runs that tie on a start time in any order).
   */
  sort?: "EXPECTED_START_TIME_ASC" | "ID_DESC";
}

export interface PrefectApi {
  /**
   * Writes will follow soon: get ready for them without waiting (a CSRF-protected server's token is
   * fetched in the background). Optional; never throws.
   */
  prepareWrites?(): void;
  /** GET /flow_runs/{id}; null on 404. */
  readFlowRun(id: string): Promise<FlowRun | null>;
  /** POST /flow_runs/filter */
  filterFlowRuns(filter: FlowRunFilter): Promise<FlowRun[]>;
  /** GET /deployments/{id}; null on 404. */
  readDeployment(id: string): Promise<Deployment | null>;
  /** GET /deployments/name/{flow}/{deployment}; null on 404. */
  readDeploymentByName(flowName: string, deploymentName: string): Promise<Deployment | null>;
  /** GET /flows/{id}; null on 404. */
  readFlow(id: string): Promise<Flow | null>;
  /** GET /work_pools/{name}; null on 404. */
  readWorkPool(name: string): Promise<WorkPool | null>;
  /** PATCH /work_pools/{name} with a base job template. */
  updateWorkPoolTemplate(name: string, baseJobTemplate: JsonObject): Promise<void>;
  /** GET /collections/views/aggregate-worker-metadata: the default base job template of a pool type, or null. */
  readDefaultBaseJobTemplate(type: string): Promise<JsonObject | null>;
  /** POST /work_pools/{name}/get_scheduled_flow_runs */
  getScheduledFlowRuns(pool: string, query: ScheduledRunsQuery): Promise<WorkerFlowRunResponse[]>;
  /** POST /work_pools/{name}/workers/heartbeat */
  heartbeat(pool: string, workerName: string, heartbeatIntervalSeconds: number): Promise<void>;
  /** POST /flow_runs/{id}/set_state. Retries of one call reuse the caller's transition_id. */
  setState(flowRunId: string, state: StateCreate, force?: boolean): Promise<OrchestrationResult>;
  /** GET /flow_run_states/?flow_run_id=: the run's state history, oldest first. */
  readFlowRunStates(flowRunId: string): Promise<State[]>;
  /** PATCH /flow_runs/{id} {infrastructure_pid} */
  setInfrastructurePid(flowRunId: string, pid: string): Promise<void>;
  /** PATCH /flow_runs/{id}/labels */
  updateFlowRunLabels(flowRunId: string, labels: Record<string, string>): Promise<void>;
  /** POST /deployments/{id}/create_flow_run */
  createFlowRun(deploymentId: string, body: FlowRunCreate): Promise<FlowRun>;
  /** GET /block_documents/{id}?include_secrets=true; null on 404. */
  readBlockDocument(id: string): Promise<BlockDocument | null>;
  /** GET /block_types/slug/{slug}/block_documents/name/{name}?include_secrets=true; null on 404. */
  readBlockDocumentByName(typeSlug: string, name: string): Promise<BlockDocument | null>;
  /** GET /variables/name/{name}: the value, or undefined on 404. */
  readVariable(name: string): Promise<Json | undefined>;
  /** POST /variables/: true when created, false when a variable of that name exists (409). */
  createVariable(name: string, value: Json, tags: string[]): Promise<boolean>;
  /** DELETE /variables/name/{name}; a missing variable is not an error. */
  deleteVariable(name: string): Promise<void>;
  /** POST /variables/filter: the variables carrying `tag` (name and value), at most `limit`. */
  filterVariablesByTag(tag: string, limit: number): Promise<{ name: string; value: Json }[]>;
  /** POST /logs/; `maxRetries` bounds the retries of a best-effort write (default: the client's). */
  createLogs(logs: LogCreate[], options?: { maxRetries?: number }): Promise<void>;
}
