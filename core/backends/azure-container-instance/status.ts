/**
 * @module
 * What became of a claim's container group, as core's {@link InfraStatus} — no worker watches it:
 * - the flow's container (the first) Terminated → its exit code (0 succeeded, else failed);
 * - the group failed to provision (bad image, quota…) → failed, with the group's or the
 *   deployment's own message (core crashes the run with it);
 * - the deployment still running, or the container still waiting → pending; running → running;
 *   still pending `task_start_timeout_seconds` after the claim → failed ("did not start");
 * - no group and no deployment (or a group deleted after its deployment succeeded) → gone.
 */
import type { InfraStatus } from "../../ports/backend.ts";
import type { ArmContainerGroupView, ArmDeploymentView, ArmErrorBody } from "./port.ts";

const RUNNING_DEPLOYMENT = new Set([
  "Accepted",
  "Created",
  "Creating",
  "Running",
  "Updating",
  "Ready",
  "Waiting",
]);

/** The deepest messages of an ARM error, joined: what went wrong, in ARM's words. */
export function armErrorMessage(error: ArmErrorBody | null | undefined): string {
  if (!error) return "";
  const inner = (error.details ?? []).map(armErrorMessage).filter(Boolean);
  if (inner.length > 0) return inner.join("; ");
  return [error.code, error.message].filter(Boolean).join(": ");
}

/** Whether the claim has waited longer than the start timeout. */
export interface StartClock {
  /** Seconds since the claim (NaN when unknown: never timed out). */
  ageSeconds: number;
  timeoutSeconds: number;
}

function pendingOrTimedOut(reason: string, clock: StartClock): InfraStatus {
  if (clock.timeoutSeconds > 0 && clock.ageSeconds > clock.timeoutSeconds)
    return {
      state: "failed",
      exitCode: null,
      reason: `The ACI container did not start within task_start_timeout_seconds (${clock.timeoutSeconds} s) of the claim: ${reason}`,
    };
  return { state: "pending", reason };
}

/** The status of an existing container group. */
export function groupStatus(group: ArmContainerGroupView, clock: StartClock): InfraStatus {
  const container = group.properties.containers[0];
  const current = container?.properties.instanceView?.currentState;
  if (current?.state === "Terminated") {
    const exitCode = typeof current.exitCode === "number" ? current.exitCode : null;
    if (exitCode === 0) return { state: "succeeded", exitCode: 0 };
    return {
      state: "failed",
      exitCode,
      reason: `ACI container ${container?.name ?? "?"} terminated${current.detailStatus ? ` (${current.detailStatus})` : ""}.`,
    };
  }
  const provisioning = group.properties.provisioningState;
  if (provisioning === "Failed" || provisioning === "Canceled") {
    const events = [
      ...(container?.properties.instanceView?.events ?? []),
      ...(group.properties.instanceView?.events ?? []),
    ]
      .filter((e) => e.type === "Warning" && e.message)
      .map((e) => e.message);
    const why = events.length > 0 ? events.join("; ") : (current?.detailStatus ?? "no reason given");
    return {
      state: "failed",
      exitCode: null,
      reason: `ACI container group provisioning ${provisioning.toLowerCase()}: ${why}`,
    };
  }
  if (current?.state === "Running") return { state: "running" };
  return pendingOrTimedOut(
    `ACI container group is ${(provisioning ?? "pending").toLowerCase()}${current?.state ? `, container ${current.state.toLowerCase()}` : ""}.`,
    clock,
  );
}

/** The status when the group does not exist: its deployment decides. */
export function deploymentStatus(
  group: string,
  resourceGroup: string,
  deployment: ArmDeploymentView | null,
  clock: StartClock,
): InfraStatus {
  const missing = `Container group '${group}' not found in resource group '${resourceGroup}'.`;
  if (!deployment) return { state: "gone", reason: missing };
  const state = deployment.properties.provisioningState ?? "Accepted";
  if (RUNNING_DEPLOYMENT.has(state))
    return pendingOrTimedOut(`ACI deployment is ${state.toLowerCase()}.`, clock);
  if (state === "Failed" || state === "Canceled")
    return {
      state: "failed",
      exitCode: null,
      reason: `ACI container group deployment ${state.toLowerCase()}: ${armErrorMessage(deployment.properties.error) || "no reason given"}`,
    };
  return { state: "gone", reason: `${missing} It was deleted after its deployment ${state.toLowerCase()}.` };
}
