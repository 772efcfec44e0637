/**
 * @module
 * Interprets the `detail` of an EventBridge "ECS Task State Change" event (pure). Tasks not started
 * by pushpool (`startedBy` other than `pushpool/<uuid>[/<container>]`) give null. Otherwise the
 * result names the flow run, the pid (cluster ARN form, plus the cluster-name form for matching),
 * the phase, and for STOPPED tasks the exit of the orchestration container and the crash verdict
 * of Prefect's ECS observer:
 *
 * - the orchestration container (the one named in `startedBy`, else `prefect`) exited non-zero or
 *   without an exit code → crash; when it cannot be found, every container is checked;
 * - no containers and `stopCode == TaskFailedToStart` → crash with the stop reason;
 * - exit 0 → no crash, even when a sidecar failed.
 */
import { z } from "zod";
import type { InfraEvent, InfraPhase } from "../../runs/infraEvents.ts";
import { ValidationError } from "../../shared/errors.ts";
import { diagnoseEcsTask, type EcsDiagnosis } from "./diagnose.ts";
import { clusterNameOf, formatPid } from "./pid.ts";
import { orchestrationContainer, parseStartedBy } from "./startedBy.ts";
import { stopReasonOf } from "./status.ts";

const Container = z.looseObject({
  name: z.string().nullish(),
  containerArn: z.string().nullish(),
  exitCode: z.number().int().nullish(),
  reason: z.string().nullish(),
  lastStatus: z.string().nullish(),
});

/** The fields of an ECS task state change `detail` pushpool reads (others pass through). */
export const EcsTaskStateDetail = z.looseObject({
  taskArn: z.string().min(1),
  clusterArn: z.string().min(1),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().nullish(),
  stopCode: z.string().nullish(),
  stoppedReason: z.string().nullish(),
  startedBy: z.string().nullish(),
  group: z.string().nullish(),
  taskDefinitionArn: z.string().nullish(),
  containers: z.array(Container).nullish(),
  createdAt: z.string().nullish(),
  startedAt: z.string().nullish(),
  stoppedAt: z.string().nullish(),
});
export type EcsTaskStateDetail = z.infer<typeof EcsTaskStateDetail>;

/** An interpreted ECS task event. */
export interface EcsTaskEvent extends InfraEvent {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string | null;
  /** The orchestration container's name when it can be told apart (log forwarding needs it). */
  containerName: string | null;
  /** For STOPPED: the observer's crash message, when it would crash the run. */
  crashMessage: string | null;
  ecsDiagnosis: EcsDiagnosis | null;
}

const PHASES: Readonly<Record<string, InfraPhase>> = {
  PROVISIONING: "provisioning",
  PENDING: "provisioning",
  ACTIVATING: "starting",
  RUNNING: "running",
  DEACTIVATING: "stopping",
  STOPPING: "stopping",
  DEPROVISIONING: "stopping",
  STOPPED: "stopped",
};

/** Interprets a task state change `detail`; null for tasks pushpool did not start. Throws ValidationError on a malformed detail. */
export function interpretEcsTaskEvent(detail: unknown): EcsTaskEvent | null {
  const parsed = EcsTaskStateDetail.safeParse(detail);
  if (!parsed.success) throw new ValidationError(`not an ECS task state change: ${parsed.error.message}`);
  const d = parsed.data;
  const origin = parseStartedBy(d.startedBy);
  if (!origin) return null;
  const pid = formatPid(d.clusterArn, d.taskArn);
  const altPid = formatPid(clusterNameOf(d.clusterArn), d.taskArn);
  const containers = d.containers ?? [];
  const main = orchestrationContainer(containers, origin.containerName);
  const base: EcsTaskEvent = {
    source: "ecs",
    flowRunId: origin.flowRunId,
    pid,
    altPids: altPid === pid ? [] : [altPid],
    phase: PHASES[d.lastStatus] ?? "running",
    status: d.lastStatus,
    createdAt: d.createdAt ?? null,
    exit: null,
    crashed: false,
    diagnosis: null,
    taskArn: d.taskArn,
    clusterArn: d.clusterArn,
    taskDefinitionArn: d.taskDefinitionArn ?? null,
    containerName: main?.name ?? (containers.length === 0 ? origin.containerName : null),
    crashMessage: null,
    ecsDiagnosis: null,
  };
  if (d.lastStatus !== "STOPPED") return base;

  if (containers.length === 0) {
    const failedToStart = d.stopCode === "TaskFailedToStart";
    const reason = failedToStart
      ? `ECS task failed to start: ${d.stoppedReason ?? "unknown reason"}. The capacity provider could not place the task.`
      : `ECS task stopped before any container started (${stopReasonOf(d)}).`;
    return withDiagnosis(
      { ...base, exit: { exitCode: null, reason }, crashed: failedToStart },
      d,
      true,
      reason,
    );
  }
  const checked = main ? [main] : containers;
  const failing = checked.filter((c) => c.exitCode == null || c.exitCode !== 0);
  const first = failing[0];
  const exitCode = first ? (first.exitCode ?? null) : 0;
  const containerReason = first?.reason ? ` (container ${first.name ?? "?"}: ${first.reason})` : "";
  const crashMessage =
    failing.length > 0
      ? `The following containers stopped with a non-zero exit code: [${failing
          .map((c) => `'${c.name ?? c.containerArn ?? "?"}'`)
          .join(", ")}]`
      : null;
  return withDiagnosis(
    {
      ...base,
      exit: { exitCode, reason: `${stopReasonOf(d)}${containerReason}` },
      crashed: failing.length > 0,
    },
    d,
    failing.length > 0,
    crashMessage,
  );
}

function withDiagnosis(
  event: EcsTaskEvent,
  d: EcsTaskStateDetail,
  diagnose: boolean,
  crashMessage: string | null,
): EcsTaskEvent {
  const ecsDiagnosis = diagnose ? diagnoseEcsTask(d) : null;
  return {
    ...event,
    crashMessage: event.crashed ? crashMessage : null,
    ecsDiagnosis,
    diagnosis: ecsDiagnosis
      ? {
          level: ecsDiagnosis.level,
          text: `${ecsDiagnosis.summary}: ${ecsDiagnosis.detail} Resolution: ${ecsDiagnosis.resolution}`,
        }
      : null,
  };
}
