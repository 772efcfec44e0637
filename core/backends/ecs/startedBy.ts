/**
 * @module
 * How a task names the flow run it serves: RunTask `startedBy` = `pushpool/<flowRunId>`, plus
 * `/<container>` when the orchestration container is not called `prefect` (ECS events carry
 * `startedBy` but not tags, so this is how an event finds the run and its orchestration container).
 * `startedBy` allows 128 letters, digits, `-`, `/` and `_`.
 */
import { DEFAULT_CONTAINER_NAME } from "./taskDefinition.ts";

const PREFIX = "pushpool/";
const MAX_STARTED_BY = 128;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `pushpool/<flowRunId>[/<container>]`; the container part only when it is not `prefect` and fits. */
export function startedByFor(flowRunId: string, containerName: string): string {
  const base = `${PREFIX}${flowRunId}`;
  if (containerName === DEFAULT_CONTAINER_NAME) return base;
  const withContainer = `${base}/${containerName}`;
  return withContainer.length <= MAX_STARTED_BY && /^[A-Za-z0-9_-]+$/.test(containerName)
    ? withContainer
    : base;
}

/** The flow run (and orchestration container, when encoded) of a pushpool task; null for others. */
export function parseStartedBy(
  startedBy: string | null | undefined,
): { flowRunId: string; containerName: string | null } | null {
  if (!startedBy?.startsWith(PREFIX)) return null;
  const [flowRunId, containerName, ...rest] = startedBy.slice(PREFIX.length).split("/");
  if (!flowRunId || !UUID.test(flowRunId) || rest.length > 0) return null;
  if (containerName !== undefined && !containerName) return null;
  return { flowRunId: flowRunId.toLowerCase(), containerName: containerName ?? null };
}

/** A container of a described task or of an event (the fields pushpool reads). */
export interface TaskContainer {
  name?: string | null;
  exitCode?: number | null;
  reason?: string | null;
  lastStatus?: string | null;
}

/**
 * The orchestration container: the one named `name` (when known), else `prefect`, else the only
 * container; null when none can be told apart from sidecars.
 */
export function orchestrationContainer<C extends TaskContainer>(
  containers: readonly C[],
  name: string | null,
): C | null {
  if (name) {
    const named = containers.find((c) => c.name === name);
    if (named) return named;
  }
  const prefect = containers.find((c) => c.name === DEFAULT_CONTAINER_NAME);
  if (prefect) return prefect;
  return containers.length === 1 ? (containers[0] ?? null) : null;
}
