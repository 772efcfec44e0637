/**
 * @module
 * Wire types of the Prefect 3 REST API, limited to the fields pushpool reads or writes.
 * Read models ignore extra keys (as the server's do); create/update bodies must not carry
 * unknown keys (the server answers 422).
 */

/**
 * A JSON value as it arrives from Prefect. Floats are kept as {@link PyFloatLike} so `1.0` stays
 * `1.0`; integers beyond 2^53 as {@link PyIntLike} so they stay exact. Objects whose keys look like
 * integers carry their source key order (see `core/template/pyDict.ts`).
 */
export type Json =
  | null
  | boolean
  | number
  | string
  | PyFloatLike
  | PyIntLike
  | Json[]
  | { [key: string]: Json };

/** Structural type of `core/template/pyFloat.ts#PyFloat` (kept here so types stay dependency-free). */
export interface PyFloatLike {
  readonly pyFloat: true;
  readonly value: number;
  valueOf(): number;
  toJSON(): number;
}

/** Structural type of `core/template/pyInt.ts#PyInt`: an integer that is not a safe JS integer. */
export interface PyIntLike {
  readonly pyInt: true;
  readonly value: bigint;
  toJSON(): string;
}

export type JsonObject = { [key: string]: Json };

export type StateType =
  | "SCHEDULED"
  | "PENDING"
  | "RUNNING"
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "CRASHED"
  | "PAUSED"
  | "CANCELLING";

export const TERMINAL_STATES: ReadonlySet<StateType> = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "CRASHED",
]);

export interface StateDetails {
  flow_run_id?: string | null;
  transition_id?: string | null;
  scheduled_time?: string | null;
  deployment_concurrency_lease_id?: string | null;
  [key: string]: unknown;
}

export interface State {
  id?: string;
  type: StateType;
  name: string | null;
  message?: string | null;
  data?: Json;
  timestamp?: string;
  state_details?: StateDetails;
}

export interface StateCreate {
  type: StateType;
  name?: string | null;
  message?: string | null;
  /** The state's result reference (kept when a state is restored). */
  data?: Json;
  state_details?: StateDetails;
}

export type OrchestrationStatus = "ACCEPT" | "REJECT" | "ABORT" | "WAIT";

export interface OrchestrationResult {
  status: OrchestrationStatus;
  details: { type: string; reason?: string | null; delay_seconds?: number };
  state: State | null;
}

export interface FlowRun {
  id: string;
  name: string;
  flow_id: string;
  deployment_id: string | null;
  work_pool_name?: string | null;
  work_queue_name?: string | null;
  state_type: StateType | null;
  state_name: string | null;
  state: State | null;
  parameters: JsonObject;
  job_variables: JsonObject | null;
  tags: string[];
  labels?: Record<string, string>;
  infrastructure_pid: string | null;
  expected_start_time: string | null;
  next_scheduled_start_time: string | null;
  start_time: string | null;
  end_time?: string | null;
  empirical_policy: { retry_type?: string | null; [key: string]: unknown };
  idempotency_key?: string | null;
  created?: string;
  updated?: string;
  [key: string]: unknown;
}

export interface Deployment {
  id: string;
  name: string;
  flow_id: string;
  updated: string;
  version?: string | null;
  parameters: JsonObject;
  job_variables: JsonObject | null;
  work_pool_name: string | null;
  work_queue_name: string | null;
  tags: string[];
  concurrency_limit?: number | null;
  [key: string]: unknown;
}

export interface Flow {
  id: string;
  name: string;
  [key: string]: unknown;
}

export interface BaseJobTemplate {
  job_configuration?: JsonObject;
  variables?: JsonObject;
}

export interface WorkPool {
  id: string;
  name: string;
  type: string;
  base_job_template: BaseJobTemplate;
  is_paused: boolean;
  concurrency_limit: number | null;
  status?: string | null;
}

export interface WorkerFlowRunResponse {
  work_pool_id: string;
  work_queue_id: string;
  flow_run: FlowRun;
}

export interface BlockDocument {
  id: string;
  name: string | null;
  data: JsonObject;
  block_type_id?: string;
  block_schema_id?: string;
}

export interface Variable {
  id?: string;
  name: string;
  value: Json;
}

export interface FlowRunCreate {
  state?: StateCreate;
  name?: string;
  parameters?: JsonObject;
  idempotency_key?: string | null;
  job_variables?: JsonObject;
  tags?: string[];
  work_queue_name?: string;
}

export interface LogCreate {
  name: string;
  level: number;
  message: string;
  timestamp: string;
  flow_run_id: string;
}
