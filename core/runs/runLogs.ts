/**
 * @module
 * What a person reads in the flow run's logs in the Prefect UI: the lines Prefect's worker writes
 * there through its run logger (`prefect.flow_runs.worker`) — "submitting…", "submitted to
 * <infrastructure>", why a submission or the infrastructure failed — written by pushpool, which
 * names itself as the submitter.
 *
 * Lines are collected while a use case runs and sent at the end ({@link RunLog.flush}), after the
 * writes that matter (a dispatch flushes after the pid PATCH, off its 4-round-trip critical path,
 * beside the labels PATCH). Best effort: never retried (it is cosmetic; a burst must not pile
 * retries on the server), and a failure is logged here, never raised.
 *
 * Lines that travel together: one POST /logs/ at a time per Prefect client; the lines of every run
 * flushed while it is in flight go together in the next one, as Prefect's worker batches its log
 * lines. The concurrent dispatches of a batch (a Lambda instance's 10 records) send 1–3 POSTs, not 10.
 */
import type { Clock } from "../ports/clock.ts";
import type { Logger } from "../ports/logger.ts";
import type { PrefectApi } from "../prefect/api.ts";
import type { LogCreate } from "../prefect/types.ts";
import { describeError } from "../shared/errors.ts";

/** The logger name Prefect's worker writes a flow run's logs under. */
export const RUN_LOGGER = "prefect.flow_runs.worker";
/** Retries of the logs POST: none (it is cosmetic; a burst must not pile retries on the server). */
export const RUN_LOG_RETRIES = 0;
/** The most runs' lines one POST carries (a burst's lines go in a few POSTs, none of them huge). */
export const RUNS_PER_LOG_POST = 50;

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
      await senderFor(deps.api).send(batch);
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

type LogsApi = Pick<PrefectApi, "createLogs">;

/** One sender per Prefect client (a runtime's `api`), so its runs' lines can travel together. */
const senders = new WeakMap<LogsApi, LogSender>();

function senderFor(api: LogsApi): LogSender {
  let sender = senders.get(api);
  if (!sender) {
    sender = new LogSender(api);
    senders.set(api, sender);
  }
  return sender;
}

interface Pending {
  entries: LogCreate[];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * At most one POST /logs/ in flight; what is flushed meanwhile waits for it and goes in the next,
 * up to {@link RUNS_PER_LOG_POST} runs' lines per POST. Each caller learns how its own lines fared.
 */
class LogSender {
  private readonly waiting: Pending[] = [];
  private sending = false;

  constructor(private readonly api: LogsApi) {}

  send(entries: LogCreate[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entries, resolve, reject });
      if (!this.sending) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.sending = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, RUNS_PER_LOG_POST);
        try {
          await this.api.createLogs(
            batch.flatMap((p) => p.entries),
            { maxRetries: RUN_LOG_RETRIES },
          );
          for (const p of batch) p.resolve();
        } catch (error) {
          for (const p of batch) p.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
