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
 * lines. A handler that processes a batch of records holds the lines until the batch is done
 * ({@link withRunLogsHeld}): a Lambda instance's 10 records send one POST, not 10 (without the
 * hold, the lines of concurrent dispatches went in 1–3 POSTs per batch: 0.68 POST per run in a
 * 1,000-run burst).
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
   * on `logger` (at warn), the run's state is unaffected. Inside {@link withRunLogsHeld} the lines
   * are kept for the end of the held work instead, and this returns at once.
   */
  async flush(deps: { api: Pick<PrefectApi, "createLogs">; logger: Logger }): Promise<void> {
    const batch = this.entries.splice(0);
    if (batch.length === 0) return;
    const sender = senderFor(deps.api);
    if (sender.keep(batch, this.flowRunId, deps.logger)) return;
    await reported(sender.send(batch), batch.length, this.flowRunId, deps.logger);
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

/** Awaits one run's lines; a failure is reported on `logger`, never thrown. */
async function reported(sent: Promise<void>, lines: number, flowRunId: string, logger: Logger) {
  try {
    await sent;
  } catch (error) {
    logger.warn("could not write the flow run's logs", { flowRunId, lines, error: describeError(error) });
  }
}

/**
 * Runs `work` with every run log flushed through `api` meanwhile kept back, then sends the kept
 * lines together (up to {@link RUNS_PER_LOG_POST} runs per POST) before returning: a Lambda batch of
 * 10 records writes its runs' lines in one POST instead of one or two per run, after its dispatches,
 * whose critical path never waited for them anyway. For work that ends on its own (a handler's
 * batch): lines wait for the end of every overlapping hold. Sending never throws (reported per run,
 * as {@link RunLog.flush} does); `work`'s own result or error is returned after the send.
 */
export async function withRunLogsHeld<T>(api: LogsApi, work: () => Promise<T>): Promise<T> {
  const sender = senderFor(api);
  sender.hold();
  try {
    return await work();
  } finally {
    const kept = sender.release();
    const sent = sender.sendEach(kept.map((k) => k.entries));
    await Promise.all(
      kept.map((k, i) => reported(sent[i] as Promise<void>, k.entries.length, k.flowRunId, k.logger)),
    );
  }
}

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

interface Kept {
  entries: LogCreate[];
  flowRunId: string;
  logger: Logger;
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
  private holds = 0;
  private kept: Kept[] = [];

  constructor(private readonly api: LogsApi) {}

  hold(): void {
    this.holds++;
  }

  /** Keeps a run's lines while held (true), or not (false: the caller sends them). */
  keep(entries: LogCreate[], flowRunId: string, logger: Logger): boolean {
    if (this.holds === 0) return false;
    this.kept.push({ entries, flowRunId, logger });
    return true;
  }

  /** Ends one hold; when none is left, hands back what was kept, to be sent. */
  release(): Kept[] {
    this.holds = Math.max(0, this.holds - 1);
    if (this.holds > 0) return [];
    return this.kept.splice(0);
  }

  send(entries: LogCreate[]): Promise<void> {
    return this.sendEach([entries])[0] as Promise<void>;
  }

  /** Queues several runs' lines before the next POST starts, so they travel together. */
  sendEach(lists: LogCreate[][]): Promise<void>[] {
    const sent = lists.map(
      (entries) => new Promise<void>((resolve, reject) => this.waiting.push({ entries, resolve, reject })),
    );
    if (!this.sending) void this.drain();
    return sent;
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
