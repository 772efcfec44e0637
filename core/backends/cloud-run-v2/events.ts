/**
 * @module
 * Cloud Run execution state, as an infrastructure event (pure). Google publishes no state-change
 * event of its own for job executions; what reaches the events function is a log entry of the
 * execution (a Cloud Logging sink on `resource.type="cloud_run_job"` into the infrastructure-events
 * topic) or of its audit trail. So the entry only names the execution ({@link executionNameIn});
 * its state is read from the Cloud Run API and turned into an {@link InfraEvent} here
 * ({@link executionEvent}), with the same verdict as `inspect` (./status.ts): no `completionTime`
 * → provisioning or running; completed with `CONDITION_SUCCEEDED` → exit 0; otherwise exit 1 with
 * the condition's message. Executions pushpool did not start (no `prefect-io-flow-run-id` label)
 * give null.
 */
import type { InfraEvent } from "../../runs/infraEvents.ts";
import type { CloudRunExecution } from "./port.ts";
import { executionStatus } from "./status.ts";

/** The label Prefect's `prefect.io/flow-run-id` becomes on a Google resource (./labels.ts). */
export const FLOW_RUN_LABEL = "prefect-io-flow-run-id";

const EXECUTION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/jobs\/[a-z][a-z0-9-]*\/executions\/[a-z0-9-]+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/**
 * The full name of the Cloud Run execution a log entry is about, or null when it names none:
 * a `cloud_run_job` entry (`resource.labels` project/location/job and the
 * `run.googleapis.com/execution_name` label), an audit entry whose `protoPayload.resourceName` is
 * an execution (v2 `projects/…/executions/…`, or v1 `namespaces/<p>/executions/<e>` with the
 * entry's location), or a message that is itself an Execution (`name`).
 */
export function executionNameIn(entry: unknown): string | null {
  const e = obj(entry);
  if (!e) return null;
  const resource = obj(e.resource);
  const labels = obj(resource?.labels);
  const project = str(labels?.project_id);
  const location = str(labels?.location);
  const direct = str(e.name);
  if (direct && EXECUTION_NAME.test(direct)) return direct;
  const execution = str(obj(e.labels)?.["run.googleapis.com/execution_name"]);
  const job = str(labels?.job_name);
  if (project && location && job && execution) {
    const name = `projects/${project}/locations/${location}/jobs/${job}/executions/${execution}`;
    if (EXECUTION_NAME.test(name)) return name;
  }
  const resourceName = str(obj(e.protoPayload)?.resourceName);
  if (resourceName && EXECUTION_NAME.test(resourceName)) return resourceName;
  const v1 = resourceName ? /^namespaces\/([^/]+)\/executions\/([a-z0-9-]+)$/.exec(resourceName) : null;
  if (v1 && location) {
    const short = v1[2] ?? "";
    const jobId = job ?? short.replace(/-[a-z0-9]{5}$/, "");
    const name = `projects/${v1[1]}/locations/${location}/jobs/${jobId}/executions/${short}`;
    if (EXECUTION_NAME.test(name)) return name;
  }
  return null;
}

/** An execution read from the API → the infrastructure event core applies; null when not pushpool's. */
export function executionEvent(execution: CloudRunExecution): InfraEvent | null {
  const name = execution.name ?? "";
  const flowRunId = str(obj(execution.labels)?.[FLOW_RUN_LABEL]);
  if (!flowRunId || !UUID.test(flowRunId) || !EXECUTION_NAME.test(name)) return null;
  const jobId = name.split("/")[5] ?? "";
  const status = executionStatus(execution);
  const base = {
    source: "cloud-run-v2",
    flowRunId,
    pid: jobId,
    altPids: [],
    createdAt: execution.createTime ?? null,
  };
  if (status.state === "pending")
    return { ...base, phase: "provisioning", status: "PENDING", exit: null, crashed: false, diagnosis: null };
  if (status.state === "running")
    return { ...base, phase: "running", status: "RUNNING", exit: null, crashed: false, diagnosis: null };
  if (status.state === "succeeded")
    return {
      ...base,
      phase: "stopped",
      status: "SUCCEEDED",
      exit: { exitCode: 0, reason: "" },
      crashed: false,
      diagnosis: null,
    };
  const reason = status.reason ?? `Cloud Run execution ${name} ended: ${status.state}`;
  return {
    ...base,
    phase: "stopped",
    status: "FAILED",
    exit: { exitCode: status.exitCode ?? 1, reason },
    crashed: true,
    diagnosis: { level: "error", text: reason },
  };
}
