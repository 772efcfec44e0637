/**
 * @module
 * One record of a batch — a queue message or an infrastructure event — consumed with the one rule
 * every runtime applies (core/shared/errors.ts `isPermanent`): a failure that will fail the same
 * way again is logged with its reason and acknowledged; anything else is logged and thrown, so the
 * queue redelivers the record and finally dead-letters it. One bad record never fails the others.
 */
import type { LogFields, Logger } from "../ports/logger.ts";
import { describeError, isPermanent } from "../shared/errors.ts";

export type Consumed<T> = { handled: true; result: T } | { handled: false; reason: string };

/** Runs `work` for one record; `what` names the record in log lines ("dispatch record"). */
export async function consumeRecord<T>(
  what: string,
  ids: LogFields,
  logger: Logger,
  work: () => Promise<T>,
): Promise<Consumed<T>> {
  try {
    return { handled: true, result: await work() };
  } catch (error) {
    const reason = describeError(error);
    if (isPermanent(error)) {
      logger.error(`${what} dropped`, { ...ids, reason });
      return { handled: false, reason };
    }
    logger.warn(`${what} failed; it will be redelivered`, { ...ids, reason });
    throw error;
  }
}
