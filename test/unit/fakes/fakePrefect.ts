/**
 * A small in-memory fake of the PrefectApi port, with the few orchestration rules the use cases
 * depend on (Prefect's orchestration rules, checked against 3.9.1): a PENDING proposal from PENDING/RUNNING/
 * CANCELLING/CANCELLED aborts (but is ACCEPTED from Completed/Failed/Crashed); a repeated transition
 * id is rejected with the current state; Crashed/Cancelling/Paused over a terminal state abort;
 * SCHEDULED→PENDING copies `scheduled_time`.
 * It is not Prefect — the e2e suites run against the real server.
 */
import { randomUUID } from "node:crypto";
import type { FlowRunFilter, PrefectApi, ScheduledRunsQuery } from "../../../core/prefect/api.ts";
import {
  type Deployment,
  type Flow,
  type FlowRun,
  type FlowRunCreate,
  type Json,
  type JsonObject,
  type LogCreate,
  type OrchestrationResult,
  type State,
  type StateCreate,
  TERMINAL_STATES,
  type WorkerFlowRunResponse,
  type WorkPool,
} from "../../../core/prefect/types.ts";
import { PrefectApiError } from "../../../core/shared/errors.ts";

/** PREFECT_SERVER_API_DEFAULT_LIMIT: the most runs one query answers (get_scheduled_flow_runs has no offset). */
const PREFECT_LIMIT = 200;

export class FakePrefect implements PrefectApi {
  runs = new Map<string, FlowRun>();
  deployments = new Map<string, Deployment>();
  flows = new Map<string, Flow>();
  pools = new Map<string, WorkPool>();
  calls: string[] = [];
  /** Every /flow_runs/filter query, in order. */
  filters: FlowRunFilter[] = [];
  history = new Map<string, State[]>();
  heartbeats: { pool: string; name: string; interval: number }[] = [];
  logs: LogCreate[] = [];
  now: () => Date = () => new Date();

  addPool(name: string, type = "process"): WorkPool {
    const pool: WorkPool = {
      id: randomUUID(),
      name,
      type,
      base_job_template: {
        job_configuration: {
          command: "{{ command }}",
          env: "{{ env }}",
          labels: "{{ labels }}",
          name: "{{ name }}",
        },
        variables: { type: "object", properties: { command: {}, env: {}, labels: {}, name: {} } },
      },
      is_paused: false,
      concurrency_limit: null,
    };
    this.pools.set(name, pool);
    return pool;
  }

  addDeployment(pool: string, jobVariables: JsonObject = {}): Deployment {
    const flow: Flow = { id: randomUUID(), name: "hello" };
    this.flows.set(flow.id, flow);
    const dep: Deployment = {
      id: randomUUID(),
      name: "dep",
      flow_id: flow.id,
      updated: "2026-11-28T10:00:00.000000Z",
      parameters: {},
      job_variables: jobVariables,
      work_pool_name: pool,
      work_queue_name: "default",
      tags: [],
    };
    this.deployments.set(dep.id, dep);
    return dep;
  }

  addRun(deployment: Deployment, scheduled = this.now(), extra: Partial<FlowRun> = {}): FlowRun {
    const id = randomUUID();
    const iso = scheduled.toISOString();
    const run: FlowRun = {
      id,
      name: `run-${id.slice(0, 4)}`,
      flow_id: deployment.flow_id,
      deployment_id: deployment.id,
      work_pool_name: deployment.work_pool_name,
      state_type: "SCHEDULED",
      state_name: "Scheduled",
      state: {
        id: randomUUID(),
        type: "SCHEDULED",
        name: "Scheduled",
        timestamp: iso,
        state_details: { scheduled_time: iso },
      },
      parameters: {},
      job_variables: {},
      tags: [],
      infrastructure_pid: null,
      expected_start_time: iso,
      next_scheduled_start_time: iso,
      start_time: null,
      empirical_policy: {},
      work_queue_id: "q",
      ...extra,
    };
    this.runs.set(id, run);
    return run;
  }

  async readFlowRun(id: string) {
    this.calls.push(`readFlowRun ${id}`);
    const run = this.runs.get(id);
    return run ? structuredClone(run) : null;
  }
  async filterFlowRuns(filter: FlowRunFilter) {
    this.calls.push("filterFlowRuns");
    this.filters.push(filter);
    return [...this.runs.values()]
      .filter((r) => !filter.stateTypes || filter.stateTypes.includes(r.state_type ?? ""))
      .filter((r) => !filter.stateNames || filter.stateNames.includes(r.state_name ?? ""))
      .filter((r) => !filter.workPoolNames || filter.workPoolNames.includes(r.work_pool_name ?? ""))
      .filter(
        (r) =>
          !filter.scheduledBefore ||
          Date.parse(r.next_scheduled_start_time ?? "") <= filter.scheduledBefore.getTime(),
      )
      .filter((r) => !filter.endTimeAfter || Date.parse(r.end_time ?? "") >= filter.endTimeAfter.getTime())
      .sort((a, b) =>
        filter.sort === "ID_DESC"
          ? b.id.localeCompare(a.id)
          : Date.parse(a.expected_start_time ?? "") - Date.parse(b.expected_start_time ?? ""),
      )
      .slice(filter.offset ?? 0, (filter.offset ?? 0) + (filter.limit ?? PREFECT_LIMIT)) // Prefect's default limit
      .map((r) => structuredClone(r));
  }
  async readDeployment(id: string) {
    this.calls.push(`readDeployment ${id}`);
    return this.deployments.get(id) ?? null;
  }
  async readDeploymentByName(flowName: string, name: string) {
    this.calls.push(`readDeploymentByName ${flowName}/${name}`);
    return (
      [...this.deployments.values()].find(
        (d) => d.name === name && this.flows.get(d.flow_id)?.name === flowName,
      ) ?? null
    );
  }
  async readFlow(id: string) {
    this.calls.push(`readFlow ${id}`);
    return this.flows.get(id) ?? null;
  }
  async readWorkPool(name: string) {
    this.calls.push(`readWorkPool ${name}`);
    return this.pools.get(name) ?? null;
  }
  async updateWorkPoolTemplate(name: string, template: JsonObject) {
    this.calls.push(`updateWorkPoolTemplate ${name}`);
    const pool = this.pools.get(name);
    if (pool) pool.base_job_template = template;
  }
  async readDefaultBaseJobTemplate() {
    return null;
  }
  async getScheduledFlowRuns(pool: string, query: ScheduledRunsQuery): Promise<WorkerFlowRunResponse[]> {
    this.calls.push(`getScheduledFlowRuns ${pool}`);
    return [...this.runs.values()]
      .filter((r) => r.work_pool_name === pool && r.state_type === "SCHEDULED")
      .filter((r) => r.empirical_policy.retry_type !== "in_process")
      .filter((r) => Date.parse(r.next_scheduled_start_time ?? "") <= query.scheduledBefore.getTime())
      .sort(
        (a, b) =>
          Date.parse(a.next_scheduled_start_time ?? "") - Date.parse(b.next_scheduled_start_time ?? ""),
      )
      .slice(0, query.limit ?? PREFECT_LIMIT) // at most 200, no offset: as Prefect answers
      .map((r) => ({
        work_pool_id: "p",
        work_queue_id: "q",
        flow_run: structuredClone(r), // with its state, as Prefect answers
      }));
  }
  async heartbeat(pool: string, name: string, interval: number) {
    this.heartbeats.push({ pool, name, interval });
  }
  async setState(id: string, proposed: StateCreate, force = false): Promise<OrchestrationResult> {
    this.calls.push(`setState ${proposed.type}/${proposed.name} ${id}`);
    const run = this.runs.get(id);
    if (!run) throw new PrefectApiError(404, "POST", `/flow_runs/${id}/set_state`, "Flow run not found");
    const current = run.state;
    const abort = (reason: string): OrchestrationResult => ({
      status: "ABORT",
      details: { type: "abort_details", reason },
      state: current,
    });
    if (!force) {
      if (
        current?.state_details?.transition_id &&
        current.state_details.transition_id === proposed.state_details?.transition_id
      )
        return { status: "REJECT", details: { type: "reject_details" }, state: current };
      if (
        current &&
        TERMINAL_STATES.has(current.type) &&
        ["CRASHED", "CANCELLING", "PAUSED"].includes(proposed.type)
      )
        return abort(`Run is already in terminal state ${current.type}.`);
      if (
        proposed.type === "PENDING" &&
        current &&
        ["PENDING", "RUNNING", "CANCELLING", "CANCELLED"].includes(current.type) &&
        !(current.type === "PENDING" && proposed.name !== "Pending" && proposed.name !== current.name)
      )
        return abort(`This run is in a ${current.type} state and cannot transition to a PENDING state.`);
    }
    const state = {
      id: randomUUID(),
      type: proposed.type,
      name: proposed.name ?? proposed.type,
      message: proposed.message ?? null,
      timestamp: this.now().toISOString(),
      data: proposed.data ?? null,
      state_details: { ...proposed.state_details },
    };
    if (!force && proposed.type === "PENDING" && current?.type === "SCHEDULED")
      state.state_details.scheduled_time = current.state_details?.scheduled_time ?? null;
    if (current && !this.history.has(id)) this.history.set(id, [current]);
    const past = this.history.get(id) ?? [];
    past.push(state);
    this.history.set(id, past);
    // Prefect's SetEndTime: entering a final state sets end_time once; leaving one clears it.
    if (!TERMINAL_STATES.has(state.type)) run.end_time = null;
    else if (!run.end_time) run.end_time = state.timestamp;
    run.state = state;
    run.state_type = state.type;
    run.state_name = state.name;
    return { status: "ACCEPT", details: { type: "accept_details" }, state };
  }
  async readFlowRunStates(id: string): Promise<State[]> {
    this.calls.push(`readFlowRunStates ${id}`);
    return structuredClone(this.history.get(id) ?? []);
  }
  async setInfrastructurePid(id: string, pid: string) {
    this.calls.push(`setInfrastructurePid ${id}`);
    const run = this.runs.get(id);
    if (run) run.infrastructure_pid = pid;
  }
  async updateFlowRunLabels(id: string) {
    this.calls.push(`updateFlowRunLabels ${id}`);
  }
  async createFlowRun(deploymentId: string, body: FlowRunCreate) {
    this.calls.push(`createFlowRun ${deploymentId}`);
    const dep = this.deployments.get(deploymentId);
    if (!dep) throw new Error("deployment not found");
    const existing = [...this.runs.values()].find(
      (r) => body.idempotency_key && r.idempotency_key === body.idempotency_key,
    );
    if (existing) return structuredClone(existing);
    const scheduled = body.state?.state_details?.scheduled_time;
    const run = this.addRun(dep, scheduled ? new Date(scheduled) : this.now(), {
      idempotency_key: body.idempotency_key ?? null,
      parameters: body.parameters ?? {},
      created: this.now().toISOString(),
    });
    return structuredClone(run);
  }
  async readBlockDocument() {
    return null;
  }
  async readBlockDocumentByName() {
    return null;
  }
  /** Variables by name (what createVariable made; readVariable reads them). */
  variables = new Map<string, { value: Json; tags: string[] }>();
  async readVariable(name: string): Promise<Json | undefined> {
    return this.variables.get(name)?.value;
  }
  async createVariable(name: string, value: Json, tags: string[]): Promise<boolean> {
    if (this.variables.has(name)) return false;
    this.variables.set(name, { value: structuredClone(value), tags: [...tags] });
    return true;
  }
  async deleteVariable(name: string): Promise<void> {
    this.variables.delete(name);
  }
  async filterVariablesByTag(tag: string, limit: number): Promise<{ name: string; value: Json }[]> {
    return [...this.variables]
      .filter(([, v]) => v.tags.includes(tag))
      .slice(0, limit)
      .map(([name, v]) => ({ name, value: structuredClone(v.value) }));
  }
  async createLogs(logs: LogCreate[], options?: { maxRetries?: number }) {
    this.calls.push(`createLogs ${logs.length} maxRetries=${options?.maxRetries ?? "default"}`);
    this.logs.push(...logs);
  }
}
