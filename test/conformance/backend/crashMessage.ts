/**
 * @module
 * The message core proposes Crashed with for an inspected status: the status becomes an exit the
 * way core/runs/reconcile.ts turns it into one (gone → no exit code, with the reason), and
 * core/runs/report.ts's `reportExit` builds the message. Prefect is a recording stand-in holding
 * one run in the given state, with the pid recorded; it accepts every proposal.
 */
import type { InfraStatus } from "../../../core/ports/backend.ts";
import { silentLogger } from "../../../core/ports/logger.ts";
import type { PrefectApi } from "../../../core/prefect/api.ts";
import type { FlowRun, StateCreate, StateType } from "../../../core/prefect/types.ts";
import { reportExit } from "../../../core/runs/report.ts";

const FLOW_RUN_ID = "c0ffee00-0000-4000-8000-000000000001";

/** The Crashed message reported for `status` of the run's infrastructure `pid`, or null when none. */
export async function crashMessageOf(
  status: InfraStatus,
  pid: string,
  runState: StateType,
): Promise<string | null> {
  const proposed: StateCreate[] = [];
  const run = {
    id: FLOW_RUN_ID,
    name: "conformance",
    state: { type: runState, name: runState === "RUNNING" ? "Running" : "Pending" },
    state_type: runState,
    infrastructure_pid: pid,
    start_time: null,
  } as unknown as FlowRun;
  const api = {
    readFlowRun: async () => run,
    readFlowRunStates: async () => [],
    setState: async (_id: string, state: StateCreate) => {
      proposed.push(state);
      return { status: "ACCEPT", state: { ...state }, details: {} };
    },
  } as unknown as PrefectApi;
  // As reconcile reads an inspected status (core/runs/reconcile.ts).
  const gone = status.state === "gone";
  await reportExit(
    {
      flowRunId: FLOW_RUN_ID,
      pid,
      exitCode: gone ? null : (status.exitCode ?? null),
      reason: status.reason ?? (gone ? "The infrastructure no longer exists." : undefined),
    },
    { api, logger: silentLogger },
  );
  const crashed = proposed.filter((s) => s.type === "CRASHED");
  return crashed[0]?.message ?? null;
}
