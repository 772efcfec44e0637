/**
 * Set-up helpers for suites that run against a real Prefect server: create pools, flows,
 * deployments, runs, block documents and variables through REST — the calls a user (or the UI)
 * makes, which are outside pushpool's {@link PrefectApi} port. Bodies use the server's own
 * snake_case field names and are sent through pushpool's transport, so auth, CSRF and Python
 * floats (`new PyFloat(1)` is sent as `1.0`) work here too.
 *
 * @example
 * const admin = new PrefectAdmin(inject("prefectApiUrl"));
 * const { pool, deployment } = await admin.createPoolWithDeployment({ type: "process" });
 * const run = await admin.createFlowRun(deployment.id);
 */
import { randomUUID } from "node:crypto";
import { join, resolve } from "node:path";
import type { PrefectApi } from "../../../core/prefect/api.ts";
import { PrefectClient } from "../../../core/prefect/client.ts";
import type { HttpMethod, PrefectHttp, PrefectHttpOptions } from "../../../core/prefect/http.ts";
import type {
  BlockDocument,
  Deployment,
  Flow,
  FlowRun,
  Json,
  JsonObject,
  OrchestrationResult,
  StateCreate,
  WorkPool,
} from "../../../core/prefect/types.ts";

/** The example flows folder (`hello.py:hello`), for deployments that really run. */
export const FLOWS_DIR = join(resolve(import.meta.dirname, "..", "..", ".."), "examples", "flows");

/** `WorkPoolCreate` (`name` defaults to a unique one; `type` to "process"). */
export interface WorkPoolSpec {
  name?: string;
  type?: string;
  description?: string;
  /** Omitted: the type's default template from the worker metadata (as the CLI does), or `{}`. */
  base_job_template?: JsonObject;
  is_paused?: boolean;
  concurrency_limit?: number | null;
}

/** `DeploymentCreate` minus `flow_id`/`name`, which the helper fills in when absent. */
export interface DeploymentSpec {
  name?: string;
  flow_id?: string;
  /** Used to create (or reuse) the flow when `flow_id` is absent. Default "hello". */
  flow_name?: string;
  work_pool_name?: string | null;
  work_queue_name?: string | null;
  entrypoint?: string;
  path?: string;
  pull_steps?: JsonObject[];
  job_variables?: JsonObject;
  parameters?: JsonObject;
  parameter_openapi_schema?: JsonObject;
  enforce_parameter_schema?: boolean;
  concurrency_limit?: number | null;
  concurrency_options?: { collision_strategy: "ENQUEUE" | "CANCEL_NEW"; grace_period_seconds?: number };
  tags?: string[];
  labels?: Record<string, string>;
  paused?: boolean;
  version?: string;
  description?: string;
}

/** `DeploymentFlowRunCreate`, plus `scheduled_at` for a SCHEDULED state at that time. */
export interface FlowRunSpec {
  name?: string;
  parameters?: JsonObject;
  job_variables?: JsonObject;
  idempotency_key?: string;
  tags?: string[];
  labels?: Record<string, string>;
  work_queue_name?: string;
  state?: StateCreate;
  empirical_policy?: JsonObject;
  scheduled_at?: Date;
}

/** A unique, Prefect-valid name: `<prefix>-<8 hex>`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** REST set-up for one Prefect server (optionally with Basic auth). */
export class PrefectAdmin {
  /** A pushpool client for the same server, for reads in tests. */
  readonly client: PrefectApi;
  private readonly http: PrefectHttp;

  constructor(options: string | PrefectHttpOptions) {
    const opts = typeof options === "string" ? { apiUrl: options } : options;
    const client = new PrefectClient({ maxRetries: 2, ...opts });
    this.client = client;
    this.http = client.http;
  }

  /** Any REST call; returns the parsed body. Throws PrefectApiError on a non-2xx status. */
  async rest<T = Json>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    return (await this.http.request(method, path, { body })).body as T;
  }

  /** POST /work_pools/ (201). */
  async createWorkPool(spec: WorkPoolSpec = {}): Promise<WorkPool> {
    const type = spec.type ?? "process";
    const template =
      spec.base_job_template ??
      (await this.client.readDefaultBaseJobTemplate(type.replace(/:push$/, ""))) ??
      {};
    return await this.rest<WorkPool>("POST", "/work_pools/", {
      ...spec,
      name: spec.name ?? uniqueName("pool"),
      type,
      base_job_template: template,
    });
  }

  /** DELETE /work_pools/{name}. */
  async deleteWorkPool(name: string): Promise<void> {
    await this.rest("DELETE", `/work_pools/${encodeURIComponent(name)}`);
  }

  /** POST /flows/: creates the flow, or returns the existing one of that name. */
  async createFlow(name = "hello"): Promise<Flow> {
    return await this.rest<Flow>("POST", "/flows/", { name });
  }

  /**
   * POST /deployments/ (an upsert on flow + name). Defaults: a unique name, the `hello` flow,
   * entrypoint `hello.py:hello` with a pull step into {@link FLOWS_DIR}.
   */
  async createDeployment(spec: DeploymentSpec = {}): Promise<Deployment> {
    const { flow_name, ...body } = spec;
    const flowId = spec.flow_id ?? (await this.createFlow(flow_name ?? "hello")).id;
    return await this.rest<Deployment>("POST", "/deployments/", {
      entrypoint: "hello.py:hello",
      pull_steps: [{ "prefect.deployments.steps.set_working_directory": { directory: FLOWS_DIR } }],
      ...body,
      name: spec.name ?? uniqueName("dep"),
      flow_id: flowId,
    });
  }

  /** DELETE /deployments/{id}. */
  async deleteDeployment(id: string): Promise<void> {
    await this.rest("DELETE", `/deployments/${encodeURIComponent(id)}`);
  }

  /** A pool (default type "process") and one deployment on it. */
  async createPoolWithDeployment(
    pool: WorkPoolSpec = {},
    deployment: DeploymentSpec = {},
  ): Promise<{ pool: WorkPool; flow: Flow; deployment: Deployment }> {
    const created = await this.createWorkPool(pool);
    const dep = await this.createDeployment({ work_pool_name: created.name, ...deployment });
    const flow = await this.rest<Flow>("GET", `/flows/${dep.flow_id}`);
    return { pool: created, flow, deployment: dep };
  }

  /** POST /deployments/{id}/create_flow_run (201, or 200 for an idempotent repeat). */
  async createFlowRun(deploymentId: string, spec: FlowRunSpec = {}): Promise<FlowRun> {
    const { scheduled_at, ...body } = spec;
    if (scheduled_at) {
      body.state = { type: "SCHEDULED", state_details: { scheduled_time: scheduled_at.toISOString() } };
    }
    return await this.rest<FlowRun>(
      "POST",
      `/deployments/${encodeURIComponent(deploymentId)}/create_flow_run`,
      body,
    );
  }

  /** GET /flow_runs/{id}; null on 404. */
  async readFlowRun(id: string): Promise<FlowRun | null> {
    return await this.client.readFlowRun(id);
  }

  /**
   * POST /flow_runs/{id}/set_state, forced by default (set-up, not orchestration). A fresh
   * transition_id is added unless the state carries one.
   */
  async setState(flowRunId: string, state: StateCreate, force = true): Promise<OrchestrationResult> {
    const details = { flow_run_id: flowRunId, transition_id: randomUUID(), ...state.state_details };
    return await this.client.setState(flowRunId, { ...state, state_details: details }, force);
  }

  /**
   * A block document of a system block type (`json`, `secret`, `webhook`…): GET
   * /block_types/slug/{slug}, POST /block_schemas/filter, POST /block_documents/.
   */
  async createBlockDocument(typeSlug: string, name: string, data: JsonObject): Promise<BlockDocument> {
    const type = await this.rest<{ id: string }>("GET", `/block_types/slug/${encodeURIComponent(typeSlug)}`);
    const schemas = await this.rest<{ id: string }[]>("POST", "/block_schemas/filter", {
      block_schemas: { block_type_id: { any_: [type.id] } },
    });
    const schema = schemas[0];
    if (!schema) throw new Error(`No block schema for block type ${typeSlug}`);
    return await this.rest<BlockDocument>("POST", "/block_documents/", {
      name,
      block_type_id: type.id,
      block_schema_id: schema.id,
      data,
    });
  }

  /** POST /variables/ (201). */
  async createVariable(
    name: string,
    value: Json,
    tags: string[] = [],
  ): Promise<{ id: string; name: string }> {
    return await this.rest("POST", "/variables/", { name, value, tags });
  }
}
