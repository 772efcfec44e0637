/**
 * @module
 * Lambda's SQS event source mapping for `npm run bench:aws`, in its own process (forked by
 * bench/awsDispatcher.ts, the function's process). On AWS the pollers, the batching and the deletes
 * belong to the Lambda service, not to the function: they are not billed as the function's CPU, so
 * they run here, where the bench can count them apart.
 *
 * As serverless.yml configures the dispatch function: `batchSize` records, `maximumBatchingWindow`
 * seconds, long polling (WaitTimeSeconds 20, as Lambda's pollers do). Each poller stands for one
 * Lambda instance and has one batch in flight at a time: it receives a batch, builds the SQSEvent
 * records Lambda would (test/peers/aws/eventSource.ts `toRecord`), sends `{type: "invoke"}` over IPC,
 * waits for `{type: "invoked", failed}` and deletes the records not reported failed; failed ones
 * reappear after the visibility timeout.
 *
 * Settings: the BENCH_AWS_DISPATCHER environment variable (JSON, DispatcherSettings). On
 * `{type: "stop"}` it stops polling, waits for batches in flight, answers `{type: "stopped", errors}`.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSRecord } from "aws-lambda";
import { toRecord } from "../test/peers/aws/eventSource.ts";
import type { DispatcherSettings } from "./awsDispatcher.ts";

export interface InvokeMessage {
  type: "invoke";
  id: number;
  instance: number;
  records: SQSRecord[];
}

export interface InvokedMessage {
  type: "invoked";
  id: number;
  failed: string[];
}

const settings = JSON.parse(process.env.BENCH_AWS_DISPATCHER ?? "{}") as DispatcherSettings;
const errors: string[] = [];
const waiting = new Map<number, (failed: string[]) => void>();
let nextId = 0;
let inflight = 0;
let stopping = false;

function invoke(instance: number, records: SQSRecord[]): Promise<string[]> {
  const id = nextId++;
  return new Promise((resolve) => {
    waiting.set(id, resolve);
    process.send?.({ type: "invoke", id, instance, records } satisfies InvokeMessage);
  });
}

async function receive(sqs: SQSClient, max: number, waitSeconds: number): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: settings.queueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout: settings.visibilityTimeout,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  return out.Messages ?? [];
}

/** Lambda's batching: a long poll, then more short polls until the batch is full or the window ends. */
async function receiveBatch(sqs: SQSClient): Promise<Message[]> {
  const batch = await receive(sqs, settings.batchSize, 20);
  if (batch.length === 0) return batch;
  const deadline = Date.now() + settings.batchWindowSeconds * 1000;
  while (batch.length < settings.batchSize && Date.now() < deadline && !stopping) {
    const more = await receive(sqs, settings.batchSize - batch.length, 0);
    if (more.length) batch.push(...more);
    else await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
  }
  return batch;
}

async function poller(instance: number): Promise<void> {
  const sqs = new SQSClient({
    region: settings.region,
    endpoint: settings.motoEndpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  while (!stopping) {
    let messages: Message[];
    try {
      messages = await receiveBatch(sqs);
    } catch (error) {
      if (!stopping) errors.push(`receive: ${String(error)}`);
      await sleep(500);
      continue;
    }
    if (messages.length === 0) continue;
    inflight++;
    try {
      const records = messages.map((m) => toRecord(m, settings.queueArn, settings.region));
      const failed = new Set(await invoke(instance, records));
      const done = records.filter((r) => !failed.has(r.messageId));
      if (done.length)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: settings.queueUrl,
            Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
    } catch (error) {
      errors.push(`batch: ${String(error)}`);
    } finally {
      inflight--;
    }
  }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

process.on("message", (msg: { type?: string; id?: number; failed?: string[] }) => {
  if (msg?.type === "invoked" && msg.id !== undefined) {
    waiting.get(msg.id)?.(msg.failed ?? []);
    waiting.delete(msg.id);
    return;
  }
  if (msg?.type !== "stop") return;
  stopping = true;
  void (async () => {
    const t0 = Date.now();
    while (inflight > 0 && Date.now() - t0 < 15_000) await sleep(100);
    process.send?.({ type: "stopped", errors }, () => process.exit(0));
  })();
});

for (let i = 0; i < settings.pollers; i++)
  void poller(i).catch((error: unknown) => {
    errors.push(`poller ${i}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  });
process.send?.({ type: "ready" });
