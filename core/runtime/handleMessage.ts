/**
 * @module
 * One queue message, as every runtime's queue consumer handles it. A message that can never
 * succeed (does not parse, invalid request) is acknowledged with the reason; a transient failure
 * is thrown so the queue redelivers it (and finally dead-letters it) — except a trigger's, which
 * first goes back to the queue for a while (./deferTrigger.ts).
 */

import { QUEUE_CREATE_BUDGET_MS } from "../runs/createFlowRun.ts";
import { type DeferredTrigger, deferTrigger } from "../runs/deferTrigger.ts";
import { type DispatchOutcome, dispatch } from "../runs/dispatch.ts";
import { type TriggerResult, trigger } from "../runs/trigger.ts";
import { describeError, isPermanent } from "../shared/errors.ts";
import type { Deps } from "./deps.ts";
import { type Delivery, parseQueueMessage } from "./messages.ts";

export type MessageOutcome =
  | { kind: "dispatch"; result: DispatchOutcome }
  | { kind: "trigger"; result: TriggerResult }
  | { kind: "deferred"; result: DeferredTrigger }
  | { kind: "rejected"; reason: string };

export async function handleMessage(
  body: string,
  deps: Deps,
  delivery: Delivery = {},
): Promise<MessageOutcome> {
  try {
    const message = parseQueueMessage(body);
    if (message.kind === "dispatch")
      return { kind: "dispatch", result: await dispatch(message, deps, delivery) };
    try {
      const result = await trigger(message, deps, { createBudgetMs: QUEUE_CREATE_BUDGET_MS });
      return { kind: "trigger", result };
    } catch (error) {
      const deferred = await deferTrigger(message, error, deps);
      if (deferred) return { kind: "deferred", result: deferred };
      throw error;
    }
  } catch (error) {
    if (!isPermanent(error)) throw error;
    const reason = describeError(error);
    deps.logger.error("message rejected permanently", { reason });
    return { kind: "rejected", reason };
  }
}
