/**
 * @module
 * Forwards the log tail an inspected status carries (a container that ended before its flow run
 * started: its own output is the only explanation) to the flow run's logs in Prefect, after the run
 * was crashed. Best effort: a failure to forward is logged and never changes the outcome.
 */

import type { Logger } from "../ports/logger.ts";
import type { PrefectApi } from "../prefect/api.ts";
import type { LogCreate } from "../prefect/types.ts";
import { describeError } from "../shared/errors.ts";

const LOGGER_NAME = "pushpool.infrastructure";

/** Writes a header line and `lines` to the run's logs; returns how many lines were forwarded. */
export async function forwardCrashLogs(
  flowRunId: string,
  lines: readonly string[],
  deps: { api: Pick<PrefectApi, "createLogs">; logger: Logger },
): Promise<number> {
  if (lines.length === 0) return 0;
  const timestamp = new Date().toISOString();
  const entry = (message: string): LogCreate => ({
    name: LOGGER_NAME,
    level: 20,
    message,
    timestamp,
    flow_run_id: flowRunId,
  });
  try {
    await deps.api.createLogs([
      entry(`Last ${lines.length} line(s) of the container log before the crash:`),
      ...lines.map(entry),
    ]);
    return lines.length;
  } catch (error) {
    deps.logger.warn("could not forward crash logs", { flowRunId, error: describeError(error) });
    return 0;
  }
}
