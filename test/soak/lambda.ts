/**
 * Lambda's SQS event source mapping, emulated against moto with several concurrent pollers. Each
 * poller is one function instance with its own runtime (the real `createRuntime`): ReceiveMessage
 * (≤ 10, real visibility timeout), build the SQSEvent, call the real handler, delete what it did not
 * report as failed. Crashes are injected at the dispatch's step boundaries:
 *
 * - `afterClaim` / `afterSubmit` (core's fault hooks: after the claim, after RunTask before the pid is
 *   recorded) kill the invocation: nothing of the batch is deleted, so every record — finished or
 *   not — comes back after the visibility timeout, and the instance cold-starts again;
 * - `midBatch`: the invocation dies after handling part of its batch (a timeout, an OOM).
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { Faults } from "../../core/runtime/deps.ts";
import type { AwsRuntime } from "../../functions/aws/wiring.ts";
import { toRecord } from "../peers/aws/eventSource.ts";
import { stratified } from "../reliability/faultProxy.ts";
import type { QueueRef } from "./world.ts";

export type CrashKind = "afterClaim" | "afterSubmit" | "midBatch";
export type Handler = (event: SQSEvent) => Promise<SQSBatchResponse | undefined>;

export interface MappingStats {
  invocations: number;
  /** Messages received (every delivery). */
  deliveries: number;
  /** Deliveries of a message already delivered before (receive count > 1). */
  redeliveries: number;
  /** Message ids deleted after success (at most once each). */
  deleted: Set<string>;
  batchItemFailures: number;
  coldStarts: number;
  crashes: Record<CrashKind, number>;
  /** Calls of the fault hooks (claims made, submits done) — the denominators of the crash rates. */
  hooks: { afterClaim: number; afterSubmit: number };
}

export interface MappingOptions {
  sqs: SQSClient;
  queue: QueueRef;
  region: string;
  pollers: number;
  visibilityTimeout: number;
  handlerFor(getRuntime: () => Promise<AwsRuntime>): Handler;
  newRuntime(faults: Faults | undefined): Promise<AwsRuntime>;
  crash?: {
    afterClaim: number;
    afterSubmit: number;
    midBatch: number;
    random: () => number;
    /** Crashes are injected only while this says so (default: always). */
    enabled?: () => boolean;
  };
  /** Every delivery, before the handler sees it (the soak notes it as progress of the message's run). */
  onDelivery?(message: Message): void;
  /** The invocation that received `message` ended (handled, failed or crashed). */
  onHandled?(message: Message): void;
}

export interface Mapping {
  stats: MappingStats;
  /** Polls in progress (an invocation running). */
  busy(): number;
  stop(): Promise<void>;
}

export class InjectedCrash extends Error {
  override name = "InjectedCrash";
}

export function startMapping(o: MappingOptions): Mapping {
  const stats: MappingStats = {
    invocations: 0,
    deliveries: 0,
    redeliveries: 0,
    deleted: new Set(),
    batchItemFailures: 0,
    coldStarts: 0,
    crashes: { afterClaim: 0, afterSubmit: 0, midBatch: 0 },
    hooks: { afterClaim: 0, afterSubmit: 0 },
  };
  let running = true;
  let busy = 0;
  const crashing = () => o.crash?.enabled?.() ?? true;
  // One stratified stream per kind, in blocks of 1 ÷ rate: about one crash per block, however few
  // the claims (the CI size has 40), instead of a count that may fall far below the rate by chance.
  const draws = Object.fromEntries(
    (["afterClaim", "afterSubmit", "midBatch"] as const).map((kind) => {
      const rate = o.crash?.[kind] ?? 0;
      const size = rate > 0 ? Math.max(1, Math.round(1 / rate)) : 1;
      return [kind, o.crash ? stratified(o.crash.random, size) : () => 1];
    }),
  ) as Record<CrashKind, () => number>;

  const instance = async () => {
    const state = { crashed: false };
    const hook = (kind: "afterClaim" | "afterSubmit") => (flowRunId: string) => {
      stats.hooks[kind]++;
      if (o.crash && crashing() && draws[kind]() < o.crash[kind]) {
        stats.crashes[kind]++;
        state.crashed = true;
        throw new InjectedCrash(`injected crash ${kind} of ${flowRunId}`);
      }
    };
    const faults: Faults | undefined = o.crash
      ? { afterClaim: hook("afterClaim"), afterSubmit: hook("afterSubmit") }
      : undefined;
    stats.coldStarts++;
    let rt: AwsRuntime | undefined;
    while (!rt) {
      try {
        rt = await o.newRuntime(faults);
      } catch {
        await new Promise((r) => setTimeout(r, 500)); // a failed cold start; Lambda tries again
      }
    }
    const ready = rt;
    return { state, handler: o.handlerFor(async () => ready) };
  };

  const receive = async (): Promise<Message[]> => {
    try {
      const out = await o.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: o.queue.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: o.visibilityTimeout,
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      return out.Messages ?? [];
    } catch {
      await new Promise((r) => setTimeout(r, 250));
      return [];
    }
  };

  const poller = async () => {
    let inst = await instance();
    while (running) {
      const messages = await receive();
      if (messages.length === 0 || !running) continue;
      busy++;
      try {
        stats.invocations++;
        stats.deliveries += messages.length;
        stats.redeliveries += messages.filter(
          (m) => Number(m.Attributes?.ApproximateReceiveCount ?? "1") > 1,
        ).length;
        for (const m of messages) o.onDelivery?.(m);
        const records = messages.map((m) => toRecord(m, o.queue.arn, o.region));
        let response: SQSBatchResponse | undefined;
        let crashed = false;
        try {
          if (o.crash && crashing() && records.length >= 2 && draws.midBatch() < o.crash.midBatch) {
            const k = 1 + Math.floor(o.crash.random() * (records.length - 1));
            await inst.handler({ Records: records.slice(0, k) });
            stats.crashes.midBatch++;
            crashed = true;
          } else {
            response = await inst.handler({ Records: records });
          }
        } catch {
          crashed = true; // the invocation failed as a whole: Lambda retries the entire batch
        }
        if (crashed || inst.state.crashed) {
          inst = await instance(); // a crashed instance is gone; the next poll cold-starts
          continue;
        }
        const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        stats.batchItemFailures += failed.size;
        const done = records.filter((r) => !failed.has(r.messageId));
        if (done.length === 0) continue;
        try {
          const out = await o.sqs.send(
            new DeleteMessageBatchCommand({
              QueueUrl: o.queue.url,
              Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
            }),
          );
          for (const ok of out.Successful ?? []) {
            const record = done[Number(ok.Id)];
            if (record) stats.deleted.add(record.messageId);
          }
        } catch {
          // not deleted: redelivered after the visibility timeout, handled again (idempotently)
        }
      } finally {
        busy--;
        for (const m of messages) o.onHandled?.(m);
      }
    }
  };

  const loops = Array.from({ length: o.pollers }, () => poller());
  return {
    stats,
    busy: () => busy,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}
