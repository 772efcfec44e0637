/**
 * Emulates Lambda's SQS event source mapping against the moto queue: ReceiveMessage (≤ 10, with a
 * real visibility timeout), build the SQSEvent Lambda would, call the handler, delete the records it
 * did not report as failed; failed ones stay in flight and reappear after the visibility timeout.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

export type SqsHandler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface PollResult {
  received: number;
  failed: string[];
  deleted: string[];
}

export function toRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attrs = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body: message.Body ?? "",
    attributes: {
      ApproximateReceiveCount: attrs.ApproximateReceiveCount ?? "1",
      SentTimestamp: attrs.SentTimestamp ?? String(Date.now()),
      SenderId: attrs.SenderId ?? "test",
      ApproximateFirstReceiveTimestamp: attrs.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([k, v]) => [
        k,
        {
          dataType: v.DataType ?? "String",
          stringValue: v.StringValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? "",
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** One poll of the mapping: at most `batchSize` messages, one handler call. */
export async function pollOnce(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  handler: SqsHandler,
  options: { batchSize?: number; visibilityTimeout?: number; waitSeconds?: number } = {},
): Promise<PollResult> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queue.url,
      MaxNumberOfMessages: options.batchSize ?? 10,
      VisibilityTimeout: options.visibilityTimeout ?? 30,
      WaitTimeSeconds: options.waitSeconds ?? 0,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  const messages = out.Messages ?? [];
  if (messages.length === 0) return { received: 0, failed: [], deleted: [] };
  const region = (await sqs.config.region()) as string;
  const records = messages.map((m) => toRecord(m, queue.arn, region));
  const response = await handler({ Records: records });
  const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
  const done = records.filter((r) => !failed.has(r.messageId));
  if (done.length) {
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
      }),
    );
  }
  return { received: records.length, failed: [...failed], deleted: done.map((r) => r.messageId) };
}

/** Polls until the queue yields nothing (messages in flight or delayed are not waited for). */
export async function drain(
  sqs: SQSClient,
  queue: { url: string; arn: string },
  handler: SqsHandler,
  options: { visibilityTimeout?: number; maxPolls?: number } = {},
): Promise<PollResult> {
  const total: PollResult = { received: 0, failed: [], deleted: [] };
  for (let i = 0; i < (options.maxPolls ?? 20); i++) {
    const r = await pollOnce(sqs, queue, handler, options);
    if (r.received === 0) break;
    total.received += r.received;
    total.failed.push(...r.failed);
    total.deleted.push(...r.deleted);
  }
  return total;
}
