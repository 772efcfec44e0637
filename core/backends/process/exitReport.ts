/**
 * @module
 * The `process` backend's fast path (what events are to a cloud backend): a flow process exited.
 * Its exit goes to core's report (Crashed on a non-zero exit, or on exit 0 before the flow ran),
 * with the process's last output lines, which a run that crashed gets in its logs.
 */

import { reportExit } from "../../runs/report.ts";
import type { Deps } from "../../runtime/deps.ts";
import { describeError } from "../../shared/errors.ts";
import type { ProcessExit } from "./index.ts";

export async function reportProcessExit(
  exit: ProcessExit,
  deps: Pick<Deps, "api" | "logger">,
): Promise<void> {
  try {
    await reportExit(
      { flowRunId: exit.flowRunId, pid: exit.pid, exitCode: exit.exitCode, output: exit.tail },
      deps,
    );
  } catch (error) {
    deps.logger.error("could not report process exit", {
      flowRunId: exit.flowRunId,
      error: describeError(error),
    });
  }
}
