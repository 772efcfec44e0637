/**
 * @module
 * The `process` backend's fast path (what events are to a cloud backend): a flow process exited.
 * Its exit goes to core's report (Crashed on a non-zero exit, or on exit 0 before the flow ran), and
 * a run that crashed gets the process's last output lines in its logs, so the Prefect UI shows why.
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
    const outcome = await reportExit(
      { flowRunId: exit.flowRunId, pid: exit.pid, exitCode: exit.exitCode },
      deps,
    );
    if (outcome !== "crashed" || exit.tail.length === 0) return;
    await deps.api.createLogs([
      {
        name: "pushpool",
        level: 40,
        message: `Last output of the flow run process ${exit.pid} (exit code ${exit.exitCode}):\n${exit.tail.join("\n")}`,
        timestamp: new Date().toISOString(),
        flow_run_id: exit.flowRunId,
      },
    ]);
  } catch (error) {
    deps.logger.error("could not report process exit", {
      flowRunId: exit.flowRunId,
      error: describeError(error),
    });
  }
}
