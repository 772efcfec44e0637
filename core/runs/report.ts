/**
 * @module
 * Report what only the infrastructure knows: that it exited. A non-zero exit of a run that is not
 * finished → Crashed with the exit-code explanation; exit 0 of a run that never left Pending →
 * Crashed (the flow never reported). Never proposes over a terminal, paused or cancelling state.
 * A run it crashes gets the reason, and the infrastructure's last output when the caller has it, in
 * its own logs (one best-effort POST, core/runs/runLogs.ts), so the Prefect UI shows why.
 */

import { TERMINAL_STATES } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { nonZeroExitMessage } from "./exitCodes.ts";
import { RunLog } from "./runLogs.ts";
import { proposeCrashed, restoreFinished } from "./states.ts";

export interface InfraExit {
  flowRunId: string;
  pid: string;
  exitCode: number | null;
  reason?: string;
  /** The infrastructure's last output lines, when the caller captured them. */
  output?: readonly string[];
}

export type ReportOutcome = "crashed" | "untouched";

export async function reportExit(
  exit: InfraExit,
  deps: Pick<Deps, "api" | "logger">,
): Promise<ReportOutcome> {
  const run = await deps.api.readFlowRun(exit.flowRunId);
  if (!run?.state) return "untouched";
  if (run.infrastructure_pid && run.infrastructure_pid !== exit.pid) return "untouched"; // a later claim's infra
  const type = run.state.type;
  // Cancelling: the exit is the cancellation itself; reconcile finishes it as Cancelled.
  if (TERMINAL_STATES.has(type) || type === "PAUSED" || type === "CANCELLING") return "untouched";
  let message: string | null = null;
  if (exit.exitCode === null)
    message = `Flow run infrastructure stopped without an exit code. ${exit.reason ?? ""}`;
  else if (exit.exitCode !== 0) message = nonZeroExitMessage(exit.exitCode);
  else if (type === "PENDING") {
    // The flow did start (Prefect set start_time on Running), yet the run reads Pending: a late
    // InfrastructurePending pulled the finished run back (core/infraEvents.ts). Put back the state
    // it finished in instead of crashing a run that ran. Found by the soak (test/soak, seed 2).
    if (run.start_time && (await restoreFinished(deps.api, run.id)) !== null) return "untouched";
    message = "Flow run infrastructure exited with status code 0 before the flow run started.";
  }
  if (!message) return "untouched";
  const crashed = await proposeCrashed(deps.api, exit.flowRunId, message.trim());
  // Only the report whose proposal Prefect accepted says so (the local exit and reconcile may
  // both see the same exit; the second is refused: "Run is already in terminal state").
  if (!crashed) {
    deps.logger.debug("infrastructure exit already reported", { flowRunId: exit.flowRunId });
    return "untouched";
  }
  deps.logger.warn("infrastructure exited; run crashed", { flowRunId: exit.flowRunId, reason: message });
  const runLog = new RunLog(exit.flowRunId);
  runLog.error(message.trim());
  if (exit.output?.length)
    runLog.error(
      `Last ${exit.output.length} line(s) of the output of ${exit.pid}:\n${exit.output.join("\n")}`,
    );
  await runLog.flush(deps);
  return "crashed";
}
