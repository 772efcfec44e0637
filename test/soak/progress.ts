/**
 * Per-run progress, and the rule that tells a stuck run from a slow one.
 *
 * Progress is anything that moves a run: a state change (its state's timestamp, read from the
 * server), a write naming it (set_state, PATCH pid, PATCH labels) as the soak's proxy saw it, a
 * delivery of a message for it, an ECS event or flow step of its task (the soak's engine). Each is
 * noted with the soak's clock; the last few are kept as the run's history for the report.
 *
 * A run is judged only by its own progress, never against a wall-clock deadline:
 * - settled: it reached a final state;
 * - stuck: unfinished, nothing queued for it, and no progress for `stuckAfterMs` counted from the
 *   later of its last progress and the end of fault injection (a fault may legitimately hold a run
 *   up until the pipeline's timers — visibility timeout, start timeout — bring it back);
 * - slow: unfinished but still moving within that bound, or waiting on a message for it — sent and
 *   not yet delivered (its turn in a queue backlog, a delay), or delivered to an invocation still
 *   working through its batch. The quiet cap bounds that wait.
 *
 * Messages sent, first delivered and handled per run are counted here too (./pipeline.ts reports them).
 */

export type Settling = "settled" | "slow" | "stuck";

export interface ProgressNote {
  at: number;
  what: string;
}

export interface ClassifyInput {
  finished: boolean;
  /** Time of the run's last progress (ms, the soak's clock); NaN/undefined when none was seen. */
  lastProgressAt: number | undefined;
  /** When fault injection (proxy faults, dispatcher crashes) ended; Infinity while it goes on. */
  faultsEndedAt: number;
  now: number;
  /** A message for the run is queued (sent, not yet delivered). */
  waiting?: boolean;
  stuckAfterMs: number;
}

export function classify(i: ClassifyInput): Settling {
  if (i.finished) return "settled";
  if (i.waiting) return "slow";
  const last = Number.isFinite(i.lastProgressAt) ? (i.lastProgressAt as number) : -Infinity;
  const quietSince = Math.max(last, i.faultsEndedAt);
  return i.now - quietSince >= i.stuckAfterMs ? "stuck" : "slow";
}

/** The last `keep` notes of each run and the time of its latest one. */
export class ProgressLog {
  private readonly notes = new Map<string, ProgressNote[]>();
  private readonly last = new Map<string, number>();
  private readonly queued = new Map<string, number>();
  private readonly handling = new Map<string, number>();

  constructor(private readonly keep = 30) {}

  /** Records `what` for `runId` at `at` (notes may arrive out of order; the latest time wins). */
  note(runId: string, what: string, at = Date.now()): void {
    if (!Number.isFinite(at)) return;
    const list = this.notes.get(runId) ?? [];
    list.push({ at, what });
    if (list.length > this.keep) list.splice(0, list.length - this.keep);
    this.notes.set(runId, list);
    this.last.set(runId, Math.max(at, this.last.get(runId) ?? -Infinity));
  }

  /** A message naming the run was sent (noted as progress; the run now waits for its delivery). */
  sent(runId: string, what: string, at = Date.now()): void {
    this.queued.set(runId, (this.queued.get(runId) ?? 0) + 1);
    this.note(runId, what, at);
  }

  /** A message naming the run was delivered; `first` for its first delivery (not a redelivery). */
  delivered(runId: string, first: boolean, what: string, at = Date.now()): void {
    if (first) this.queued.set(runId, Math.max(0, (this.queued.get(runId) ?? 0) - 1));
    this.handling.set(runId, (this.handling.get(runId) ?? 0) + 1);
    this.note(runId, what, at);
  }

  /** The invocation that got a delivery for the run ended. */
  handled(runId: string): void {
    this.handling.set(runId, Math.max(0, (this.handling.get(runId) ?? 0) - 1));
  }

  /** A message for the run is queued (sent, not yet delivered) or in an invocation still running. */
  waiting(runId: string): boolean {
    return (this.queued.get(runId) ?? 0) > 0 || (this.handling.get(runId) ?? 0) > 0;
  }

  lastAt(runId: string): number | undefined {
    return this.last.get(runId);
  }

  history(runId: string): ProgressNote[] {
    return [...(this.notes.get(runId) ?? [])].sort((a, b) => a.at - b.at);
  }

  /** The history as report lines, times relative to `t0` in seconds. */
  describe(runId: string, t0: number): string[] {
    return this.history(runId).map((n) => `  +${((n.at - t0) / 1000).toFixed(1)} s ${n.what}`);
  }
}
