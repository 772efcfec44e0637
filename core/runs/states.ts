/**
 * @module
 * State proposals pushpool makes, with the rules of Prefect's BaseWorker (prefect/workers/base.py):
 * a claim is a PENDING state named exactly `Pending` with a fresh transition id; Crashed is
 * proposed without force (the server refuses it over a terminal state, which is fine); Cancelled
 * is forced.
 */
import { randomUUID } from "node:crypto";
import type { PrefectApi } from "../prefect/api.ts";
import {
  type FlowRun,
  type OrchestrationResult,
  type State,
  type StateType,
  TERMINAL_STATES,
} from "../prefect/types.ts";
import { PrefectApiError, TransientError } from "../shared/errors.ts";

/** Prefix of the message on pushpool's own claims: how a redelivery recognises "our" Pending. */
export const CLAIM_MESSAGE_PREFIX = "Claimed by pushpool";

export type ClaimResult =
  | { claimed: true; state: State }
  | { claimed: false; status: OrchestrationResult["status"]; reason: string; state: State | null };

/** Two ISO times name the same instant (Prefect writes `Z` or `+00:00`, with or without µs). */
function sameInstant(a: string, b: string): boolean {
  return Date.parse(a) === Date.parse(b);
}

/**
 * Proposes PENDING/`Pending`. WAIT becomes a TransientError (redeliver later).
 *
 * Prefect also ACCEPTs a Pending proposal over a finished run (Completed without a persisted
 * result, Failed, Crashed), so a dispatch that read the run while it was Scheduled, then stalled
 * while another delivery ran it to the end, would start it a second time. A claim that really left
 * a Scheduled state carries the `scheduled_time` the server copies from it (CopyScheduledTime); one
 * without it is stale: the run's previous state is restored (forced) and the claim does not count.
 *
 * `expectScheduledTime`: the `scheduled_time` of the Scheduled state the caller saw, when it did
 * not read the run just before (core/runs/runSnapshot.ts). A claim that displaced a state with
 * another time — an in-process retry's AwaitingRetry, a run rescheduled since — is undone the same
 * way and does not count (its state is the undone Pending): the caller reads the run and decides
 * again.
 */
export async function claim(
  api: PrefectApi,
  flowRunId: string,
  workerName: string,
  expectScheduledTime?: string,
): Promise<ClaimResult> {
  const transitionId = randomUUID();
  const result = await api.setState(flowRunId, {
    type: "PENDING",
    name: "Pending",
    message: `${CLAIM_MESSAGE_PREFIX} (${workerName})`,
    state_details: { flow_run_id: flowRunId, transition_id: transitionId },
  });
  const state = result.state;
  // An HTTP retry of a committed claim comes back REJECT with the same transition id: ours, and
  // as stale as an ACCEPT without scheduled_time would have been (test/unit/core/staleClaimRetry.test.ts).
  const ours =
    state?.type === "PENDING" &&
    (result.status === "ACCEPT" ||
      (result.status === "REJECT" && state.state_details?.transition_id === transitionId));
  if (ours) {
    const scheduled = state.state_details?.scheduled_time;
    const moved = Boolean(scheduled && expectScheduledTime && !sameInstant(scheduled, expectScheduledTime));
    if (scheduled && !moved) return { claimed: true, state };
    const restored = await undoStaleClaim(api, flowRunId, state.id);
    const reason = moved
      ? `the run moved since it was seen: it was ${restored}`
      : `stale claim: the run was ${restored} before it`;
    return { claimed: false, status: "REJECT", reason, state };
  }
  if (result.status === "WAIT")
    throw new TransientError(
      `claim of flow run ${flowRunId} must wait: ${result.details.reason ?? "server asked to wait"}`,
      result.details.delay_seconds ?? 30,
    );
  return {
    claimed: false,
    status: result.status,
    reason: result.details.reason ?? describeState(state),
    state,
  };
}

/**
 * Forces back the state a stale claim displaced; returns what it was. Called by {@link claim} on its
 * own stale claim, and by whoever later finds one its delivery did not undo (it died, or a fault
 * stopped it): a stale claim is never resumed. That is the last state
 * committed before the claim — not the one stamped right before it: a state's timestamp is taken
 * when its request arrives, and a claim that waited on a busy server's lock commits after states
 * stamped later (the soak: a claim stamped before a flow's Running and Completed displaced the
 * Completed, and putting back the state stamped before it — the winning claim's Pending — rewound
 * the finished run). While the claim is the current state, every other state committed before it,
 * so the latest-stamped of them is the one displaced. If the claim is no longer current, something
 * newer moved the run on, and nothing is put back.
 */
export async function undoStaleClaim(
  api: PrefectApi,
  flowRunId: string,
  claimStateId: string | undefined,
): Promise<string> {
  const current = (await api.readFlowRun(flowRunId))?.state ?? null;
  if (!current || current.id !== claimStateId) return "not Scheduled";
  const history = await api.readFlowRunStates(flowRunId);
  const previous = history
    .filter((s) => s.id !== claimStateId)
    .sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""))
    .at(-1);
  if (!previous) return "not Scheduled";
  await api.setState(
    flowRunId,
    {
      type: previous.type,
      name: previous.name,
      message: previous.message ?? null,
      data: previous.data ?? null,
      state_details: { ...previous.state_details, flow_run_id: flowRunId, transition_id: randomUUID() },
    },
    true,
  );
  return describeState(previous);
}

/**
 * Puts back the finished state a run reached after its latest claim (the latest that left a
 * Scheduled state), when something pulled it back: a late InfrastructurePending, or a stale claim
 * before {@link claim} undid it (Prefect accepts PENDING over COMPLETED without a persisted
 * result, FAILED and PAUSED). Returns what was restored, or null when the run never finished
 * after the claim or is finished now. The history is read by timestamp, and a state's timestamp is taken when its
 * request arrives, not when it commits: on a busy server a proposal can commit after a later-
 * stamped one, so "the state right before ours" is not reliable; a finished state after the
 * claim is. A Crashed verdict may itself be the mistake (a stopped task read as "never started"
 * because of the late Pending), so any other finished state wins over it; with none, the latest
 * Crashed is put back (the infrastructure's own crash, overtaken by a provisioning event handled
 * concurrently — found on PostgreSQL, where the two proposals truly run at once).
 */
export async function restoreFinished(api: PrefectApi, flowRunId: string): Promise<string | null> {
  const current = (await api.readFlowRun(flowRunId))?.state;
  if (!current || (TERMINAL_STATES.has(current.type) && current.type !== "CRASHED")) return null;
  const history = [...(await api.readFlowRunStates(flowRunId))].sort((a, b) =>
    (a.timestamp ?? "").localeCompare(b.timestamp ?? ""),
  );
  let claimAt = -1;
  history.forEach((s, i) => {
    if (leftScheduled(s)) claimAt = i;
  });
  const after = history.slice(claimAt + 1).filter((s) => TERMINAL_STATES.has(s.type));
  const finished =
    after.filter((s) => s.type !== "CRASHED").at(-1) ??
    (current.type === "CRASHED" ? undefined : after.filter((s) => s.type === "CRASHED").at(-1));
  if (!finished) return null;
  await api.setState(
    flowRunId,
    {
      type: finished.type,
      name: finished.name,
      message: finished.message ?? null,
      data: finished.data ?? null,
      state_details: { ...finished.state_details, flow_run_id: flowRunId, transition_id: randomUUID() },
    },
    true,
  );
  return describeState(finished);
}

/**
 * A claim that took the run out of a Scheduled state: Pending named `Pending` with the
 * `scheduled_time` Prefect copies from the Scheduled state it displaced. A claim Prefect accepted
 * over a finished run (a stale one, undone by {@link claim}) carries none, so it does not hide the
 * finished state before it from {@link restoreFinished}.
 */
function leftScheduled(state: State): boolean {
  return state.type === "PENDING" && state.name === "Pending" && Boolean(state.state_details?.scheduled_time);
}

/**
 * True when a run's current state is pushpool's claim of a Scheduled run that has no infrastructure
 * yet: the one kind of claim a later delivery may resume (start with the claim's token). Our
 * Pending without `scheduled_time` is a stale claim Prefect accepted over a finished run; resuming
 * it would start a finished run again (the run already had its infrastructure, under another claim).
 */
export function isResumableClaim(run: FlowRun): boolean {
  return isOwnClaim(run) && !run.infrastructure_pid && run.state !== null && leftScheduled(run.state);
}

/** True when a run's current state is our claim, without infrastructure, that did not leave a Scheduled state. */
export function isStaleClaim(run: FlowRun): boolean {
  return isOwnClaim(run) && !run.infrastructure_pid && !isResumableClaim(run);
}

/** True when a run's current state is an unfinished claim made by pushpool. */
export function isOwnClaim(run: FlowRun): boolean {
  const state = run.state;
  return (
    state !== null &&
    state.type === "PENDING" &&
    typeof state.message === "string" &&
    state.message.startsWith(CLAIM_MESSAGE_PREFIX)
  );
}

/**
 * True when a run waits to be cancelled: its state is CANCELLING, or CANCELLED named `Cancelling`
 * (an older way to ask, which Prefect's cancellation observer still looks for).
 */
export function awaitsCancellation(state: State | null | undefined): boolean {
  return state?.type === "CANCELLING" || (state?.type === "CANCELLED" && state.name === "Cancelling");
}

/** Proposes CRASHED (not forced). ABORT (already terminal) and 404 are not errors. */
export async function proposeCrashed(api: PrefectApi, flowRunId: string, message: string): Promise<boolean> {
  return await proposeQuietly(api, flowRunId, "CRASHED", "Crashed", message, false);
}

/** Forces CANCELLED, as the worker does when a deployment is gone or infra was killed. */
export async function forceCancelled(api: PrefectApi, flowRunId: string, message: string): Promise<boolean> {
  return await proposeQuietly(api, flowRunId, "CANCELLED", "Cancelled", message, true);
}

async function proposeQuietly(
  api: PrefectApi,
  flowRunId: string,
  type: StateType,
  name: string,
  message: string,
  force: boolean,
): Promise<boolean> {
  try {
    const result = await api.setState(
      flowRunId,
      { type, name, message, state_details: { flow_run_id: flowRunId, transition_id: randomUUID() } },
      force,
    );
    return result.status === "ACCEPT";
  } catch (error) {
    if (error instanceof PrefectApiError && error.status === 404) return false;
    throw error;
  }
}

export function describeState(state: State | null | undefined): string {
  if (!state) return "no state";
  return state.name && state.name.toUpperCase() !== state.type ? `${state.type}/${state.name}` : state.type;
}
