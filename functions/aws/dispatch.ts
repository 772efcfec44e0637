/**
 * @module
 * Lambda handler for the SQS dispatch queue (event source mapping with `batchSize ≤ 10` and
 * `functionResponseTypes: [ReportBatchItemFailures]`). Each record is a core queue message:
 * `dispatch` (from the tick, the webhook, a re-queue) or `trigger` (EventBridge Scheduler cron).
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
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { describeError } from "../../core/shared/errors.ts";
import { sqsBody } from "./envelope.ts";
import { type AwsRuntime, runtime } from "./wiring.ts";

export function makeDispatchHandler(getRuntime: () => Promise<AwsRuntime> = runtime) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    const rt = await getRuntime();
    rt.logger.withContext(context);
    const { logger, deps } = rt;
    const processor = new BatchProcessor(EventType.SQS);
    return await processPartialResponse(
      event,
      async (record: SQSRecord) => {
        const ids = { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount };
        let body: string;
        try {
          body = sqsBody(record);
        } catch (error) {
          logger.error("dispatch record dropped", { ...ids, reason: describeError(error) });
          return;
        }
        try {
          const outcome = await handleMessage(body, deps);
          if (outcome.kind === "rejected") {
            logger.error("dispatch record dropped", { ...ids, reason: outcome.reason });
          } else {
            // Core already logged the outcome at info (submitted, skipped, crashed…): one line per run.
            logger.debug("dispatch record handled", { ...ids, kind: outcome.kind, ...outcome.result });
          }
        } catch (error) {
          logger.warn("dispatch record failed; SQS will redeliver it", {
            ...ids,
            reason: describeError(error),
          });
          throw error;
        }
      },
      processor,
      { context, throwOnFullBatchFailure: false },
    );
  };
}

export const handler = makeDispatchHandler();
