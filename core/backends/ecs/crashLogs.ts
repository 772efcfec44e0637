/**
 * @module
 * The tail of a crashed task's orchestration-container log in CloudWatch, to forward to the flow
 * run (the `logs` port of {@link import("../../runs/infraEvents.ts").handleInfraEvent}). The awslogs
 * group and stream prefix are read from the task definition (events do not carry them); the stream
 * is `<prefix>/<container>/<task id>`. Anything missing → no lines.
 */

import { taskIdOf } from "./pid.ts";
import type { EcsApi } from "./port.ts";
import { orchestrationContainer } from "./startedBy.ts";
import type { EcsTaskEvent } from "./taskEvents.ts";

/** Default and maximum number of log events forwarded (Prefect: 500, at most 10,000). */
export const DEFAULT_TAIL_EVENTS = 500;
const MAX_TAIL_EVENTS = 10_000;

/** Reads the last `maxEvents` lines of the orchestration container's awslogs stream. */
export async function ecsCrashLogTail(
  api: EcsApi,
  event: Pick<EcsTaskEvent, "taskArn" | "taskDefinitionArn" | "containerName">,
  maxEvents = DEFAULT_TAIL_EVENTS,
): Promise<string[]> {
  if (!event.taskDefinitionArn) return [];
  const described = await api.describeTaskDefinition(event.taskDefinitionArn);
  const definitions = (described?.taskDefinition.containerDefinitions ?? []).map((c) => ({ ...c }));
  const container = orchestrationContainer(definitions, event.containerName);
  const config = container?.logConfiguration;
  if (!container?.name || config?.logDriver !== "awslogs") return [];
  const group = config.options?.["awslogs-group"];
  const prefix = config.options?.["awslogs-stream-prefix"];
  if (!group || !prefix) return [];
  const limit = Math.min(MAX_TAIL_EVENTS, Math.max(1, Math.floor(maxEvents)));
  const stream = `${prefix}/${container.name}/${taskIdOf(event.taskArn)}`;
  const events = await api.tailLogEvents(group, stream, limit);
  return events.map((e) => e.message);
}
