/**
 * SqsQueue (functions/aws/queue.ts) on moto against the queue conformance suite. Each case gets its
 * own queue with a redrive policy to its own DLQ (maxReceiveCount 3, visibility timeout 1 s), and
 * is consumed the way Lambda's event source mapping does (test/peers/aws/eventSource.ts): receive,
 * hand the batch over, delete what was handled, leave failures to reappear after the timeout.
 *
 * Declared limits: moto, not SQS — delays and visibility timeouts are moto's clock (whole seconds,
 * as SQS); DLQ redrive happens on the receive after the last failed one, as on SQS.
 */
import { randomUUID } from "node:crypto";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse } from "aws-lambda";
import { SqsQueue } from "../../../functions/aws/queue.ts";
import { useMotoEnv } from "../../peers/aws/awsPeers.ts";
import { pollOnce } from "../../peers/aws/eventSource.ts";
import { CREDENTIALS, queueWithDlq, REGION } from "../../peers/aws/motoWorld.ts";
import { describeQueueConformance, type QueueHarness } from "./suite.ts";

const MAX_RECEIVES = 3;
const VISIBILITY_SECONDS = 1;

async function sqsHarness(): Promise<QueueHarness> {
  const endpoint = useMotoEnv();
  const sqs = new SQSClient({ region: REGION, endpoint, credentials: CREDENTIALS });
  const { queue, dlq } = await queueWithDlq(sqs, `pp-conf-${randomUUID().slice(0, 8)}`, {
    visibilityTimeout: VISIBILITY_SECONDS,
    maxReceiveCount: MAX_RECEIVES,
  });
  const adapter = new SqsQueue(queue.url, sqs);
  let closed = false;
  let loop: Promise<void> = Promise.resolve();
  return {
    queue: adapter,
    maxReceives: MAX_RECEIVES,
    redeliveryMs: VISIBILITY_SECONDS * 1000 + 1500,
    consume(handle) {
      loop = (async () => {
        while (!closed) {
          await pollOnce(
            sqs,
            queue,
            async (event): Promise<SQSBatchResponse> => {
              const batchItemFailures: SQSBatchResponse["batchItemFailures"] = [];
              for (const record of event.Records) {
                try {
                  await handle(record.body, Number(record.attributes.ApproximateReceiveCount));
                } catch {
                  batchItemFailures.push({ itemIdentifier: record.messageId });
                }
              }
              return { batchItemFailures };
            },
            { visibilityTimeout: VISIBILITY_SECONDS, waitSeconds: 1 },
          );
        }
      })();
    },
    async deadLetters() {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
      );
      return (out.Messages ?? []).map((m) => m.Body ?? "");
    },
    async close() {
      closed = true;
      await loop;
    },
  };
}

describeQueueConformance("SqsQueue on moto", sqsHarness);
