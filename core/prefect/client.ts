/**
 * @module
 * {@link PrefectClient}: the {@link PrefectApi} port over Prefect 3's REST API (self-hosted or
 * Cloud). Transport concerns (auth, CSRF, retries, timeouts, errors) live in `http.ts`; this file
 * is the map from each port method to its path and body. Create bodies are built field by field,
 * because the server answers 422 to any unknown key.
 */
import type { FlowRunFilter, PrefectApi, ScheduledRunsQuery } from "./api.ts";
import { type HttpMethod, PrefectHttp, type PrefectHttpOptions, type RequestOptions } from "./http.ts";
import { cloneJson } from "./json.ts";
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

/** Options of {@link PrefectClient}; see {@link PrefectHttpOptions} for each field. */
export type PrefectClientOptions = PrefectHttpOptions;

const enc = encodeURIComponent;

/**
 * Prefect REST client implementing {@link PrefectApi}.
 *
 * @example
 * const prefect = new PrefectClient({ apiUrl: "http://127.0.0.1:4200/api", authString: "admin:pass" });
 * const run = await prefect.readFlowRun(id); // null when it does not exist
 */
/**
 * Retries of the worker-labels PATCH: none. It is cosmetic and sent after the pid, off the critical
 * path; a refusal (a busy SQLite server's 503) is logged at debug, and a burst does not pile
 * retries on the server.
 */
export const LABEL_RETRIES = 0;

export class PrefectClient implements PrefectApi {
  /** The transport, for calls outside the port (test helpers, admin tooling). */
  readonly http: PrefectHttp;
  private workerMetadata: Promise<Json | undefined> | undefined;

  constructor(options: PrefectClientOptions) {
    this.http = new PrefectHttp(options);
  }

  prepareWrites(): void {
    this.http.prepareWrites();
  }

  readFlowRun(id: string): Promise<FlowRun | null> {
    return this.readOrNull<FlowRun>(`/flow_runs/${enc(id)}`);
  }

  /** An explicit empty `ids` list matches nothing, so it returns `[]` without a request. */
  async filterFlowRuns(filter: FlowRunFilter): Promise<FlowRun[]> {
    if (filter.ids?.length === 0) return [];
    return (
      (await this.call<FlowRun[]>("POST", "/flow_runs/filter", { body: flowRunFilterBody(filter) })) ?? []
    );
  }

  readDeployment(id: string): Promise<Deployment | null> {
    return this.readOrNull<Deployment>(`/deployments/${enc(id)}`);
  }

  readDeploymentByName(flowName: string, deploymentName: string): Promise<Deployment | null> {
    return this.readOrNull<Deployment>(`/deployments/name/${enc(flowName)}/${enc(deploymentName)}`);
  }

  readFlow(id: string): Promise<Flow | null> {
    return this.readOrNull<Flow>(`/flows/${enc(id)}`);
  }

  readWorkPool(name: string): Promise<WorkPool | null> {
    return this.readOrNull<WorkPool>(`/work_pools/${enc(name)}`);
  }

  async updateWorkPoolTemplate(name: string, baseJobTemplate: JsonObject): Promise<void> {
    await this.call("PATCH", `/work_pools/${enc(name)}`, { body: { base_job_template: baseJobTemplate } });
  }

  /** Served from one cached read of the worker metadata per client instance; returns a copy. */
  async readDefaultBaseJobTemplate(type: string): Promise<JsonObject | null> {
    if (!this.workerMetadata) {
      const load = this.call<Json>("GET", "/collections/views/aggregate-worker-metadata");
      this.workerMetadata = load;
      load.catch(() => {
        if (this.workerMetadata === load) this.workerMetadata = undefined;
      });
    }
    const template = findDefaultTemplate(await this.workerMetadata, type);
    return template ? cloneJson(template) : null;
  }

  async getScheduledFlowRuns(pool: string, query: ScheduledRunsQuery): Promise<WorkerFlowRunResponse[]> {
    const body: Record<string, unknown> = { scheduled_before: isoWithOffset(query.scheduledBefore) };
    if (query.scheduledAfter) body.scheduled_after = isoWithOffset(query.scheduledAfter);
    if (query.workQueueNames && query.workQueueNames.length > 0) body.work_queue_names = query.workQueueNames;
    if (query.limit !== undefined) body.limit = query.limit;
    const path = `/work_pools/${enc(pool)}/get_scheduled_flow_runs`;
    return (await this.call<WorkerFlowRunResponse[]>("POST", path, { body })) ?? [];
  }

  async heartbeat(pool: string, workerName: string, heartbeatIntervalSeconds: number): Promise<void> {
    await this.call("POST", `/work_pools/${enc(pool)}/workers/heartbeat`, {
      body: { name: workerName, heartbeat_interval_seconds: heartbeatIntervalSeconds },
      cosmetic: true,
    });
  }

  async setState(flowRunId: string, state: StateCreate, force = false): Promise<OrchestrationResult> {
    const path = `/flow_runs/${enc(flowRunId)}/set_state`;
    const result = await this.call<OrchestrationResult>("POST", path, {
      body: { state: stateBody(state), force },
    });
    if (!result) throw new TypeError(`POST ${path} returned an empty body`);
    return result;
  }

  async readFlowRunStates(flowRunId: string): Promise<State[]> {
    return (
      (await this.call<State[]>("GET", "/flow_run_states/", { query: { flow_run_id: flowRunId } })) ?? []
    );
  }

  async setInfrastructurePid(flowRunId: string, pid: string): Promise<void> {
    await this.call("PATCH", `/flow_runs/${enc(flowRunId)}`, { body: { infrastructure_pid: pid } });
  }

  /** Merges labels into the run's (idempotent). Best effort: {@link LABEL_RETRIES} retries. */
  async updateFlowRunLabels(flowRunId: string, labels: Record<string, string>): Promise<void> {
    await this.call("PATCH", `/flow_runs/${enc(flowRunId)}/labels`, {
      body: labels,
      maxRetries: LABEL_RETRIES,
      cosmetic: true,
    });
  }

  async createFlowRun(deploymentId: string, body: FlowRunCreate): Promise<FlowRun> {
    const path = `/deployments/${enc(deploymentId)}/create_flow_run`;
    const run = await this.call<FlowRun>("POST", path, { body: flowRunCreateBody(body) });
    if (!run) throw new TypeError(`POST ${path} returned an empty body`);
    return run;
  }

  readBlockDocument(id: string): Promise<BlockDocument | null> {
    return this.readOrNull<BlockDocument>(`/block_documents/${enc(id)}`, { include_secrets: true });
  }

  readBlockDocumentByName(typeSlug: string, name: string): Promise<BlockDocument | null> {
    const path = `/block_types/slug/${enc(typeSlug)}/block_documents/name/${enc(name)}`;
    return this.readOrNull<BlockDocument>(path, { include_secrets: true });
  }

  async readVariable(name: string): Promise<Json | undefined> {
    const found = await this.readOrNull<{ value?: Json }>(`/variables/name/${enc(name)}`);
    return found === null ? undefined : (found.value ?? null);
  }

  async createVariable(name: string, value: Json, tags: string[]): Promise<boolean> {
    const { status } = await this.http.request("POST", "/variables/", {
      body: { name, value, tags },
      accept: [409],
    });
    return status !== 409;
  }

  async deleteVariable(name: string): Promise<void> {
    await this.http.request("DELETE", `/variables/name/${enc(name)}`, { accept: [404] });
  }

  async filterVariablesByTag(tag: string, limit: number): Promise<{ name: string; value: Json }[]> {
    const body = { variables: { tags: { all_: [tag] } }, limit };
    const found = await this.call<{ name: string; value: Json }[]>("POST", "/variables/filter", { body });
    return (found ?? []).map(({ name, value }) => ({ name, value }));
  }

  /** POST /logs/; an empty list sends nothing. */
  async createLogs(logs: LogCreate[], options: { maxRetries?: number } = {}): Promise<void> {
    if (logs.length === 0) return;
    await this.call("POST", "/logs/", { body: logs.map(logBody), maxRetries: options.maxRetries });
  }

  private async call<T>(method: HttpMethod, path: string, options?: RequestOptions): Promise<T | undefined> {
    return (await this.http.request(method, path, options)).body as T | undefined;
  }

  private async readOrNull<T>(path: string, query?: RequestOptions["query"]): Promise<T | null> {
    const { status, body } = await this.http.request("GET", path, { query, accept: [404] });
    return status === 404 || body === undefined ? null : (body as T);
  }
}

/** `2026-08-21T12:00:00.000+00:00`: ISO-8601 with an explicit offset, as the contract asks. */
export function isoWithOffset(date: Date): string {
  return date.toISOString().replace(/Z$/, "+00:00");
}

/** The body of POST /flow_runs/filter: only the parts the filter sets. */
export function flowRunFilterBody(filter: FlowRunFilter): Record<string, unknown> {
  const flowRuns: Record<string, unknown> = {};
  const state: Record<string, unknown> = {};
  if (filter.stateTypes?.length) state.type = { any_: filter.stateTypes };
  if (filter.stateNames?.length) state.name = { any_: filter.stateNames };
  if (Object.keys(state).length > 0) flowRuns.state = state;
  if (filter.ids) flowRuns.id = { any_: filter.ids };
  if (filter.scheduledBefore)
    flowRuns.next_scheduled_start_time = { before_: isoWithOffset(filter.scheduledBefore) };
  if (filter.endTimeAfter) flowRuns.end_time = { after_: isoWithOffset(filter.endTimeAfter) };
  const body: Record<string, unknown> = { sort: filter.sort ?? "EXPECTED_START_TIME_ASC" };
  if (Object.keys(flowRuns).length > 0) body.flow_runs = flowRuns;
  if (filter.workPoolNames?.length) body.work_pools = { name: { any_: filter.workPoolNames } };
  if (filter.limit !== undefined) body.limit = filter.limit;
  if (filter.offset !== undefined) body.offset = filter.offset;
  return body;
}

function stateBody(state: StateCreate): Record<string, unknown> {
  return pick(state as unknown as Record<string, unknown>, [
    "type",
    "name",
    "message",
    "data",
    "state_details",
  ]);
}

function flowRunCreateBody(body: FlowRunCreate): Record<string, unknown> {
  const out = pick(body as unknown as Record<string, unknown>, [
    "name",
    "parameters",
    "idempotency_key",
    "job_variables",
    "tags",
    "work_queue_name",
  ]);
  if (body.state) out.state = stateBody(body.state);
  return out;
}

function logBody(log: LogCreate): Record<string, unknown> {
  return pick(log as unknown as Record<string, unknown>, [
    "name",
    "level",
    "message",
    "timestamp",
    "flow_run_id",
  ]);
}

function pick(source: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** The metadata is `{collection: {worker: {type, default_base_job_configuration, …}}}`. */
function findDefaultTemplate(metadata: Json | undefined, type: string): JsonObject | null {
  for (const collection of Object.values(asObject(metadata))) {
    for (const worker of Object.values(asObject(collection))) {
      const entry = asObject(worker);
      const template = entry.default_base_job_configuration;
      if (entry.type === type && template !== undefined) return asObject(template);
    }
  }
  return null;
}

function asObject(value: Json | undefined): JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !("pyFloat" in value)
    ? (value as JsonObject)
    : {};
}
