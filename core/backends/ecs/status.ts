/**
 * @module
 * A described ECS task as an {@link InfraStatus}: RUNNING (and the stop transitions before
 * STOPPED) → running; PROVISIONING/PENDING/ACTIVATING → pending; STOPPED → the orchestration
 * container's exit code (0 succeeded, non-zero failed), no exit code → failed with the stop
 * reason, no containers → "ECS task failed to start: …".
 */
import type { Task } from "@aws-sdk/client-ecs";
import type { InfraStatus } from "../../ports/backend.ts";
import { orchestrationContainer, parseStartedBy } from "./startedBy.ts";

const PENDING = new Set(["PROVISIONING", "PENDING", "ACTIVATING"]);

/** The stop reason of a task as one line: `<stopCode>: <stoppedReason>`. */
export function stopReasonOf(task: { stopCode?: string | null; stoppedReason?: string | null }): string {
  const parts = [task.stopCode, task.stoppedReason].filter((p): p is string => Boolean(p));
  return parts.length > 0 ? parts.join(": ") : "ECS task stopped";
}

/** Maps a DescribeTasks task to an InfraStatus. `containerName` is the configured orchestration container. */
export function taskStatus(task: Task, containerName: string | null = null): InfraStatus {
  const last = task.lastStatus ?? "";
  if (PENDING.has(last)) return { state: "pending", reason: `ECS task is ${last.toLowerCase()}.` };
  if (last !== "STOPPED") return { state: "running" };
  const containers = task.containers ?? [];
  if (containers.length === 0)
    return {
      state: "failed",
      exitCode: null,
      reason: `ECS task failed to start: ${task.stoppedReason ?? stopReasonOf(task)}`,
    };
  const name = containerName ?? parseStartedBy(task.startedBy)?.containerName ?? null;
  const main = orchestrationContainer(containers, name) ?? containers[0];
  const exitCode = main?.exitCode ?? null;
  if (exitCode === 0) return { state: "succeeded", exitCode: 0 };
  if (exitCode !== null) return { state: "failed", exitCode, reason: stopReasonOf(task) };
  const containerReason = main?.reason ? ` (container ${main.name ?? "?"}: ${main.reason})` : "";
  return { state: "failed", exitCode: null, reason: `${stopReasonOf(task)}${containerReason}` };
}
