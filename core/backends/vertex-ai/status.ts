/**
 * @module
 * A CustomJob's `JobState` as an {@link InfraStatus}, as Prefect's Vertex worker reads it: it
 * watches until SUCCEEDED, FAILED, CANCELLED or EXPIRED; exit 0 only for SUCCEEDED, else 1, with
 * the job's `error.message` ("Vertex AI job <display name> failed: <message>"; none for a
 * cancellation, whose message contains CANCELED). PARTIALLY_SUCCEEDED, which the worker never
 * stops on (it times out), is read as failed: the job has ended.
 */
import type { InfraStatus } from "../../ports/backend.ts";
import type { VertexCustomJob } from "./port.ts";

const PENDING = new Set(["JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED", "JOB_STATE_PENDING"]);
const RUNNING = new Set([
  "JOB_STATE_RUNNING",
  "JOB_STATE_CANCELLING",
  "JOB_STATE_PAUSED",
  "JOB_STATE_UPDATING",
]);
/** States after which a job never runs again. */
export const TERMINAL: ReadonlySet<string> = new Set([
  "JOB_STATE_SUCCEEDED",
  "JOB_STATE_FAILED",
  "JOB_STATE_CANCELLED",
  "JOB_STATE_EXPIRED",
  "JOB_STATE_PARTIALLY_SUCCEEDED",
]);

export function isTerminal(job: VertexCustomJob): boolean {
  return TERMINAL.has(job.state ?? "");
}

export function customJobStatus(job: VertexCustomJob): InfraStatus {
  const state = job.state ?? "JOB_STATE_UNSPECIFIED";
  if (PENDING.has(state)) return { state: "pending", reason: `Vertex AI job is ${words(state)}.` };
  if (RUNNING.has(state)) return { state: "running" };
  if (state === "JOB_STATE_SUCCEEDED") return { state: "succeeded", exitCode: 0 };
  if (!TERMINAL.has(state)) return { state: "running" }; // a state newer than this code: still in flight
  const message = job.error?.message ?? "";
  const detail = message && !message.includes("CANCELED") ? `: ${message}` : "";
  return {
    state: "failed",
    exitCode: 1,
    reason: `Vertex AI job ${job.displayName ?? job.name ?? ""} ${words(state)}${detail}`,
  };
}

/** `JOB_STATE_CANCELLED` → `cancelled`. */
function words(state: string): string {
  return state
    .replace(/^JOB_STATE_/, "")
    .replaceAll("_", " ")
    .toLowerCase();
}
