/**
 * @module
 * A Cloud Run execution as an {@link InfraStatus}, as Prefect's worker reads it: no
 * `completionTime` → still running (pending until it has started); completed with the `Completed`
 * condition `CONDITION_SUCCEEDED` → exit 0; otherwise exit 1 with the condition's message.
 */
import type { InfraStatus } from "../../ports/backend.ts";
import type { CloudRunExecution } from "./port.ts";

export function executionStatus(execution: CloudRunExecution): InfraStatus {
  if (!execution.completionTime) {
    const started = Boolean(execution.startTime) || (execution.runningCount ?? 0) > 0;
    return started ? { state: "running" } : { state: "pending", reason: "Cloud Run execution is starting." };
  }
  const completed = execution.conditions?.find((c) => c.type === "Completed");
  if (completed?.state === "CONDITION_SUCCEEDED") return { state: "succeeded", exitCode: 0 };
  const message = completed?.message || completed?.reason || completed?.executionReason;
  return {
    state: "failed",
    exitCode: 1,
    reason: `Cloud Run execution ${execution.name ?? ""} failed${message ? ` - ${message}` : ""}`,
  };
}

/** True once an execution has ended (Cloud Run sets `completionTime`). */
export function isFinished(execution: CloudRunExecution): boolean {
  return Boolean(execution.completionTime);
}
