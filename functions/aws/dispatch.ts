/**
 * @module
 * Lambda handler for the SQS dispatch queue (event source mapping with `batchSize ≤ 10` and
 * `functionResponseTypes: [ReportBatchItemFailures]`). Each record is a core queue message:
 * `dispatch` (from the tick, the webhook, a re-queue) or `trigger` (EventBridge Scheduler cron).
 *
 * The records of a batch are dispatched concurrently; the lines they write in their flow runs' logs
 * go in one POST once all are done (core/runs/runLogs.ts: withRunLogsHeld).
 *
 * Per record: a permanent failure (bad JSON, invalid message, a run that can never start) is
 * acknowledged and logged with its reason; a retryable one (Prefect/AWS throttling, 5xx, timeouts)
 * is reported as a batch item failure, so SQS redelivers it and finally dead-letters it. One bad
 * record never fails the others.
 *
 * Export: `handler` (functions/aws/dispatch.handler).
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { withRunLogsHeld } from "../../core/runs/runLogs.ts";
import { consumeRecord } from "../../core/runtime/consume.ts";
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { sqsBody } from "./envelope.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

export function makeDispatchHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const { logger, deps } = rt;
    const processor = new BatchProcessor(EventType.SQS);
    // The batch's runs write their lines in the flow run logs together, once its records are done.
    return await withRunLogsHeld(deps.api, () =>
      processPartialResponse(
        event,
        async (record: SQSRecord) => {
          const ids = {
            messageId: record.messageId,
            receiveCount: record.attributes?.ApproximateReceiveCount,
          };
          const attempt = Number(record.attributes?.ApproximateReceiveCount) || undefined;
          const consumed = await consumeRecord("dispatch record", ids, logger, () =>
            handleMessage(sqsBody(record), deps, { attempt }),
          );
          if (!consumed.handled) return;
          const outcome = consumed.result;
          if (outcome.kind === "rejected")
            logger.error("dispatch record dropped", { ...ids, reason: outcome.reason });
          // Core already logged the outcome at info (submitted, skipped, crashed…): one line per run.
          else logger.debug("dispatch record handled", { ...ids, kind: outcome.kind, ...outcome.result });
        },
        processor,
        { context, throwOnFullBatchFailure: false },
      ),
    );
  };
}

export const handler = makeDispatchHandler();
