/**
 * @module
 * Infrastructure state events (the fast path; reconcile is the fallback). A cloud adapter turns
 * its event into an {@link InfraEvent} (each backend interprets its own events), then:
 *
 * - provisioning → propose PENDING named `InfrastructurePending` ("<label> is pending.") when the
 *   run is Pending with this infrastructure as its pid. When the dispatcher died between starting
 *   the task and recording its pid, the pid is adopted first (only for our own claim, and only for
 *   a task created after that claim), so the run does not stay Pending without a pid.
 * - stopped → {@link reportExit} (Crashed on a non-zero or missing exit code, or on exit 0 before
 *   the flow started). When that crashes the run, the diagnosis goes to the run's logs, and for a
 *   run that never reached Running the tail of the container's log too.
 *
 * - stopped, once reported, with a run in a final state → its infrastructure is removed
 *   (./cleanup.ts), when the runtime passes its deps as `cleanup`; best effort (the tick does it
 *   otherwise).
 *
 * Never proposes over a terminal, paused or cancelling state.
 */
import { randomUUID } from "node:crypto";
import type { Backend } from "../ports/backend.ts";
import type { Logger } from "../ports/logger.ts";
import type { FlowRun, LogCreate } from "../prefect/types.ts";
import type { Deps } from "../runtime/deps.ts";
import { describeError, PrefectApiError } from "../shared/errors.ts";
import { cleanupRun } from "./cleanup.ts";
import { reportExit } from "./report.ts";
import { isOwnClaim, restoreFinished } from "./states.ts";

export type InfraPhase = "provisioning" | "starting" | "running" | "stopping" | "stopped";

/** A cloud-neutral infrastructure event. */
export interface InfraEvent {
  /** Backend type that produced it. */
  source: string;
  flowRunId: string;
  /** The pid in the backend's format. */
  pid: string;
  /** Other spellings of the same pid (a cluster's name instead of its ARN…). */
  altPids: string[];
  phase: InfraPhase;
  /** The cloud's own status word. */
  status: string;
  /** When the infrastructure was created (ISO), if known. */
  createdAt: string | null;
  /** For stopped infrastructure: the orchestration container's exit. */
  exit: { exitCode: number | null; reason: string } | null;
  /** The cloud's own crash verdict (Prefect's observer rules for the type). */
  crashed: boolean;
  /** An explanation for the run's logs. */
  diagnosis: { level: "error" | "warning"; text: string } | null;
}

export interface InfraEventDeps extends Pick<Deps, "api"> {
  logger: Logger;
  /** The backend of the event's type: its label and how its pids compare. */
  backend: Pick<Backend, "label" | "samePid">;
  /** The tail of the orchestration container's log, forwarded on a pre-Running crash. */
  logs?: { tail(event: InfraEvent): Promise<string[]> };
  /** The runtime's deps: when given, a stop of a run now final removes its infrastructure. */
  cleanup?: Deps;
}

export type InfraEventOutcome =
  | { outcome: "pending"; adopted: boolean }
  | { outcome: "crashed"; forwardedLines: number }
  | { outcome: "ignored"; reason: string };

const LOGGER_NAME = "pushpool.infrastructure";
/** Tolerance between the claim's timestamp and the task's creation when adopting a pid. */
const ADOPT_SKEW_MS = 60_000;

/** True when `recorded` names the event's infrastructure (in any of the backend's spellings). */
export function pidMatches(
  recorded: string,
  event: Pick<InfraEvent, "pid" | "altPids">,
  backend: Pick<Backend, "samePid">,
): boolean {
  return [event.pid, ...event.altPids].some((pid) => recorded === pid || backend.samePid?.(recorded, pid));
}

/** Applies one infrastructure event to its flow run. */
export async function handleInfraEvent(event: InfraEvent, deps: InfraEventDeps): Promise<InfraEventOutcome> {
  if (event.phase === "provisioning") return await markPending(event, deps);
  if (event.phase === "stopped" && event.exit) return await reportStopped(event, deps);
  return { outcome: "ignored", reason: `phase ${event.phase}` };
}

async function markPending(event: InfraEvent, deps: InfraEventDeps): Promise<InfraEventOutcome> {
  const run = await deps.api.readFlowRun(event.flowRunId);
  const state = run?.state;
  if (!run || !state) return { outcome: "ignored", reason: "flow run not found" };
  if (state.type !== "PENDING") return { outcome: "ignored", reason: `run is ${state.type}` };
  let adopted = false;
  if (run.infrastructure_pid) {
    if (!pidMatches(run.infrastructure_pid, event, deps.backend))
      return { outcome: "ignored", reason: "the run's pid names other infrastructure" };
  } else {
    if (!isOwnClaim(run) || !createdAfterClaim(event, run))
      return { outcome: "ignored", reason: "no pid recorded for this claim" };
    await deps.api.setInfrastructurePid(run.id, event.pid);
    adopted = true;
    deps.logger.warn("adopted the pid of infrastructure the dispatcher did not record", {
      flowRunId: run.id,
      pid: event.pid,
    });
  }
  if (state.name === "InfrastructurePending")
    return { outcome: "ignored", reason: "already InfrastructurePending" };
  try {
    const result = await deps.api.setState(run.id, {
      type: "PENDING",
      name: "InfrastructurePending",
      message: `${deps.backend.label} is ${event.status.toLowerCase()}.`,
      state_details: { flow_run_id: run.id, transition_id: randomUUID() },
    });
    if (result.status !== "ACCEPT")
      return {
        outcome: "ignored",
        reason: `server answered ${result.status}: ${result.details.reason ?? ""}`,
      };
    // Found by the soak (test/soak, seeds 20261128 and 2; regressions: test/reliability/
    // lateProvisioningEvent.test.ts, test/unit/core/lateProvisioningRace.test.ts). The run was read
    // while Pending, but the flow finished before this proposal took effect (a slow or retried
    // set_state, or one the server evaluated against a stale state): Prefect ACCEPTS PENDING over
    // COMPLETED without a persisted result, FAILED and PAUSED, so a finished run was pulled back to
    // Pending, and its STOPPED event then crashed it ("exited with status code 0 before the flow run
    // started"). A transition from our Pending carries its `scheduled_time` forward
    // (PreventPendingTransitions); without it, put back any finished state the run reached.
    if (!result.state?.state_details?.scheduled_time) {
      const restored = await restoreFinished(deps.api, run.id);
      if (restored !== null) {
        deps.logger.warn("late provisioning event: restored the state it replaced", {
          flowRunId: run.id,
          restored,
        });
        return { outcome: "ignored", reason: `stale event: the run was ${restored}` };
      }
    }
  } catch (error) {
    if (error instanceof PrefectApiError && error.status === 404)
      return { outcome: "ignored", reason: "flow run not found" };
    throw error;
  }
  return { outcome: "pending", adopted };
}

function createdAfterClaim(event: InfraEvent, run: FlowRun): boolean {
  const created = Date.parse(event.createdAt ?? "");
  const claimed = Date.parse(run.state?.timestamp ?? "");
  if (!Number.isFinite(created) || !Number.isFinite(claimed)) return false;
  return created >= claimed - ADOPT_SKEW_MS;
}

async function reportStopped(event: InfraEvent, deps: InfraEventDeps): Promise<InfraEventOutcome> {
  const exit = event.exit;
  if (!exit) return { outcome: "ignored", reason: "no exit" };
  const run = await deps.api.readFlowRun(event.flowRunId);
  if (!run?.state) return { outcome: "ignored", reason: "flow run not found" };
  const recorded = run.infrastructure_pid;
  const pid = recorded && pidMatches(recorded, event, deps.backend) ? recorded : event.pid;
  const neverRan = !run.start_time && run.state.type !== "RUNNING";
  const outcome = await reportExit(
    { flowRunId: run.id, pid, exitCode: exit.exitCode, reason: exit.reason },
    { api: deps.api, logger: deps.logger },
  );
  const result: InfraEventOutcome =
    outcome === "crashed"
      ? { outcome: "crashed", forwardedLines: await forwardLogs(event, run.id, neverRan, deps) }
      : { outcome: "ignored", reason: "run left as it is" };
  // After its own report: the run is final now (Crashed above, or it reported its end), or the
  // cleanup skips it and the tick removes it later. Never throws.
  if (deps.cleanup) await cleanupRun(run.id, deps.cleanup);
  return result;
}

async function forwardLogs(
  event: InfraEvent,
  flowRunId: string,
  neverRan: boolean,
  deps: InfraEventDeps,
): Promise<number> {
  const now = new Date().toISOString();
  const entries: LogCreate[] = [];
  if (event.diagnosis)
    entries.push({
      name: LOGGER_NAME,
      level: event.diagnosis.level === "error" ? 40 : 30,
      message: event.diagnosis.text,
      timestamp: now,
      flow_run_id: flowRunId,
    });
  let lines: string[] = [];
  if (neverRan && deps.logs) {
    try {
      lines = await deps.logs.tail(event);
    } catch (error) {
      deps.logger.warn("could not read the container log", { flowRunId, error: describeError(error) });
    }
    if (lines.length > 0)
      entries.push({
        name: LOGGER_NAME,
        level: 20,
        message: `Last ${lines.length} line(s) of the container log before the crash:`,
        timestamp: now,
        flow_run_id: flowRunId,
      });
    for (const line of lines)
      entries.push({ name: LOGGER_NAME, level: 20, message: line, timestamp: now, flow_run_id: flowRunId });
  }
  if (entries.length === 0) return 0;
  try {
    await deps.api.createLogs(entries);
  } catch (error) {
    deps.logger.warn("could not forward crash logs", { flowRunId, error: describeError(error) });
    return 0;
  }
  return lines.length;
}
