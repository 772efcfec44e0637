/**
 * @module
 * The dispatch function: HTTP, invoked by Cloud Tasks (OIDC) with one core queue message as the
 * body — `dispatch` (from the tick, the webhook, a re-queue) or `trigger` (a deferred cron or
 * webhook trigger). Cloud Tasks retries any non-2xx answer with back-off, up to the queue's
 * `max_attempts` (`PUSHPOOL_TASKS_MAX_ATTEMPTS`), then drops the task. So:
 *
 * - handled → 200;
 * - permanent failure (not a Cloud Tasks delivery — its headers are read by `tasksEnvelope` —, an
 *   empty body, bad JSON, an invalid message, a run that can never start) → 200 and the reason
 *   logged (retrying cannot help);
 * - transient failure (Prefect or Google unavailable, throttled) → 503, so Cloud Tasks retries;
 * - transient failure on the LAST attempt (`X-CloudTasks-TaskRetryCount` + 1 ≥ max attempts) →
 *   the message is published to the dead-letter topic and answered 200: never lost, never retried
 *   forever. If even that publish fails, 503 and an error line (Cloud Tasks then drops the task).
 */
import type { Request, Response } from "@google-cloud/functions-framework";
import { consumeRecord } from "../../core/runtime/consume.ts";
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { describeError } from "../../core/shared/errors.ts";
import { header, reply, runtimeOr500 } from "./http.ts";
import { type TasksDelivery, tasksEnvelope } from "./tasksQueue.ts";
import { type GcpRuntime, runtime } from "./wiring.ts";

const TASK_NAME_HEADER = "x-cloudtasks-taskname";

export function makeDispatchHandler(getRuntime: () => Promise<GcpRuntime> = runtime) {
  return async (req: Request, res: Response): Promise<void> => {
    const rt = await runtimeOr500(getRuntime, res, "dispatch");
    if (!rt) return;
    const { logger } = rt;
    let delivery: TasksDelivery;
    try {
      delivery = tasksEnvelope(req);
    } catch (error) {
      // Not a Cloud Tasks delivery, or one with no body: sending it again cannot help.
      const reason = describeError(error);
      logger.error("dispatch request rejected", { task: header(req, TASK_NAME_HEADER), reason });
      reply(res, 200, { outcome: "rejected", reason });
      return;
    }
    const { body, attempt } = delivery;
    const ids = { task: delivery.taskName, attempt };
    let consumed: Awaited<ReturnType<typeof consumeDispatch>>;
    try {
      consumed = await consumeDispatch(body, attempt, ids, rt);
    } catch (error) {
      const reason = describeError(error);
      if (rt.maxAttempts === undefined || attempt < rt.maxAttempts) {
        if (rt.maxAttempts === undefined)
          logger.warn(
            "PUSHPOOL_TASKS_MAX_ATTEMPTS is not set: the last attempt cannot be told, nothing is dead-lettered",
            ids,
          );
        reply(res, 503, { outcome: "retry", attempt, reason });
        return;
      }
      try {
        await rt.deadLetter.publish(body, {
          reason: reason.slice(0, 1000),
          attempts: String(attempt),
          source: "dispatch",
          ...(ids.task ? { task: ids.task } : {}),
        });
      } catch (publishError) {
        logger.error("dispatch task failed on its last attempt and could not be dead-lettered", {
          ...ids,
          reason,
          error: describeError(publishError),
        });
        reply(res, 503, { outcome: "retry", attempt, reason });
        return;
      }
      logger.error("dispatch task dead-lettered after its last attempt", { ...ids, reason });
      reply(res, 200, { outcome: "dead-lettered", attempt, reason });
      return;
    }
    if (!consumed.handled) {
      reply(res, 200, { outcome: "rejected", reason: consumed.reason });
      return;
    }
    const outcome = consumed.result;
    if (outcome.kind === "rejected") {
      logger.error("dispatch task dropped", { ...ids, reason: outcome.reason });
      reply(res, 200, { outcome: "rejected", reason: outcome.reason });
      return;
    }
    // Core already logged the outcome at info (submitted, skipped, crashed…): one line per run.
    logger.debug("dispatch task handled", { ...ids, kind: outcome.kind });
    reply(res, 200, { outcome: outcome.kind, result: outcome.result });
  };
}

function consumeDispatch(body: string, attempt: number, ids: Record<string, unknown>, rt: GcpRuntime) {
  return consumeRecord("dispatch task", ids, rt.logger, () => handleMessage(body, rt.deps, { attempt }));
}

export const dispatch = makeDispatchHandler();
