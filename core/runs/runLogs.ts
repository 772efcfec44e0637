/**
 * @module
 * What a person reads in the flow run's logs in the Prefect UI: the lines Prefect's worker writes
 * there through its run logger (`prefect.flow_runs.worker`) — "submitting…", "submitted to
 * <infrastructure>", why a submission or the infrastructure failed — written by pushpool, which
 * names itself as the submitter.
 *
 * Lines are collected while a use case runs and sent in one POST /logs/ at the end ({@link
 * RunLog.flush}), after the writes that matter (a dispatch flushes after the pid PATCH, off its
 * 4-round-trip critical path). Best effort: one retry at most (a shared SQLite server answers 503
 * to a write beside another), and a failure is logged here, never raised.
 *
 * Requests per run (dispatch): 4 sequential round trips up to the pid PATCH, then the labels PATCH
 * and this POST, one after the other (two concurrent writes would make SQLite refuse one).
 */
import type { Clock } from "../ports/clock.ts";
import type { Logger } from "../ports/logger.ts";
import type { PrefectApi } from "../prefect/api.ts";
import type { LogCreate } from "../prefect/types.ts";
import { describeError } from "../shared/errors.ts";

/** The logger name Prefect's worker writes a flow run's logs under. */
export const RUN_LOGGER = "prefect.flow_runs.worker";
/** Retries of the logs POST: one (it is cosmetic; a burst must not pile retries on the server). */
export const RUN_LOG_RETRIES = 1;

/** Python logging levels, as Prefect stores them. */
export const LEVEL = { debug: 10, info: 20, warning: 30, error: 40 } as const;

export class RunLog {
  private readonly entries: LogCreate[] = [];
  private last = Number.NEGATIVE_INFINITY;

  constructor(
    readonly flowRunId: string,
    private readonly clock: Pick<Clock, "now"> = { now: () => new Date() },
  ) {}

  info(message: string): void {
    this.add(LEVEL.info, message);
  }

  warning(message: string): void {
    this.add(LEVEL.warning, message);
  }

  error(message: string): void {
    this.add(LEVEL.error, message);
  }

  /** The lines collected so far (tests). */
  get lines(): readonly LogCreate[] {
    return this.entries;
  }

  /**
   * Sends the collected lines in one POST and forgets them. Never throws: a failure is reported
   * on `logger` (at warn), the run's state is unaffected.
   */
  async flush(deps: { api: Pick<PrefectApi, "createLogs">; logger: Logger }): Promise<void> {
    const batch = this.entries.splice(0);
    if (batch.length === 0) return;
    try {
      await deps.api.createLogs(batch, { maxRetries: RUN_LOG_RETRIES });
    } catch (error) {
      deps.logger.warn("could not write the flow run's logs", {
        flowRunId: this.flowRunId,
        lines: batch.length,
        error: describeError(error),
      });
    }
  }

  /** The UI sorts by timestamp: each line gets one at least 1 ms after the previous, so order holds. */
  private add(level: number, message: string): void {
    const at = Math.max(this.clock.now().getTime(), this.last + 1);
    this.last = at;
    this.entries.push({
      name: RUN_LOGGER,
      level,
      message,
      timestamp: new Date(at).toISOString(),
      flow_run_id: this.flowRunId,
    });
  }
}
