/**
 * @module
 * A diagnosis of a stopped ECS task from its event alone (no AWS calls), with the rules of
 * Prefect's ECS observer diagnostics: an image pull failure first, then TaskFailedToStart, then
 * exit codes (137 hints at OOM; no exit code means ECS or the infrastructure stopped the task).
 */

export interface EcsDiagnosis {
  level: "error" | "warning";
  summary: string;
  detail: string;
  resolution: string;
}

interface DetailLike {
  lastStatus?: string | null;
  stopCode?: string | null;
  stoppedReason?: string | null;
  containers?: readonly { name?: string | null; exitCode?: number | null }[] | null;
}

/** The diagnosis of a STOPPED task, or null when there is nothing actionable (or it has not stopped). */
export function diagnoseEcsTask(detail: DetailLike): EcsDiagnosis | null {
  if (detail.lastStatus !== "STOPPED") return null;
  const stoppedReason = detail.stoppedReason ?? "";
  const stopCode = detail.stopCode ?? "";
  if (stoppedReason.includes("CannotPullContainerError"))
    return {
      level: "error",
      summary: "Container image pull failed",
      detail: stoppedReason,
      resolution:
        "Check that the image exists and its URI is right. For a private registry, the task execution role needs permission to pull from it (or the container definition needs repository credentials). Docker Hub rate limits also cause this.",
    };
  if (stopCode === "TaskFailedToStart")
    return {
      level: "error",
      summary: "ECS task failed to start",
      detail: stoppedReason || "Task failed to start (no further detail).",
      resolution:
        "The stopped reason says why: resource limits or capacity, IAM permissions of the task and execution roles, or networking (subnets, security groups, routes to the registry).",
    };
  const containers = detail.containers ?? [];
  if (stopCode === "EssentialContainerExited") return exitCodes(containers, true);
  if (containers.some((c) => c.exitCode !== 0)) return exitCodes(containers, false);
  return null;
}

function exitCodes(
  containers: readonly { name?: string | null; exitCode?: number | null }[],
  essentialExited: boolean,
): EcsDiagnosis {
  const nullExit = containers.filter((c) => c.exitCode == null).map((c) => `'${c.name ?? "<unknown>"}'`);
  const nonZero = containers.filter((c) => c.exitCode != null && c.exitCode !== 0);
  const parts = nonZero.map((c) => `Container '${c.name ?? "<unknown>"}' exited with code ${c.exitCode}.`);
  if (nullExit.length > 0)
    parts.push(
      `Container(s) ${nullExit.join(", ")} had no exit code: ECS or the underlying infrastructure terminated the task.`,
    );
  const detail = parts.length > 0 ? parts.join(" ") : "No container exit codes available.";
  const onlyNull = nullExit.length > 0 && nonZero.length === 0;
  if (essentialExited)
    return {
      level: onlyNull ? "warning" : "error",
      summary: "Essential container exited",
      detail,
      resolution:
        "An essential container exited and ECS stopped the task. Check the container logs; if the infrastructure killed it, consider more memory or CPU.",
    };
  if (onlyNull)
    return {
      level: "warning",
      summary: "Task terminated by infrastructure",
      detail,
      resolution:
        "The task stopped without container exit codes: ECS or the infrastructure killed it (Spot interruption, scaling, a manual stop). CloudTrail and the ECS service events tell more.",
    };
  return {
    level: "error",
    summary: "Container exited with non-zero exit code",
    detail,
    resolution:
      "Check the container logs in CloudWatch. Exit code 137 usually means out of memory: raise the task memory.",
  };
}

/** One line: `<summary>: <detail> Resolution: <resolution>` (the form Prefect's observer logs). */
export function formatDiagnosis(d: EcsDiagnosis): string {
  return `${d.summary}: ${d.detail} Resolution: ${d.resolution}`;
}
