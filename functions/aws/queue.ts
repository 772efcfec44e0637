/**
 * @module
 * The dispatch queue on SQS. `delaySeconds` is rounded down and capped at SQS's maximum (900 s);
 * a message that arrives early is re-queued by core dispatch itself (`notBefore`).
 */

import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Queue } from "../../core/ports/queue.ts";
import { stringifyJson } from "../../core/prefect/json.ts";
import type { QueueMessage } from "../../core/runtime/messages.ts";

/** SQS's largest DelaySeconds. */
export const MAX_SQS_DELAY_SECONDS = 900;

/** The DelaySeconds SQS gets for a (possibly fractional, negative or huge) delay. */
export function sqsDelaySeconds(delaySeconds: number | undefined): number {
  if (delaySeconds === undefined || !Number.isFinite(delaySeconds) || delaySeconds <= 0) return 0;
  return Math.min(MAX_SQS_DELAY_SECONDS, Math.floor(delaySeconds));
}

export class SqsQueue implements Queue {
  /** SQS's largest DelaySeconds. */
  readonly maxDelaySeconds = MAX_SQS_DELAY_SECONDS;
  constructor(
    readonly queueUrl: string,
    readonly client: SQSClient = new SQSClient({}),
  ) {}

  async send(message: QueueMessage, options?: { delaySeconds?: number }): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: stringifyJson(message),
        DelaySeconds: sqsDelaySeconds(options?.delaySeconds),
        MessageAttributes: {
          kind: { DataType: "String", StringValue: message.kind },
          source: { DataType: "String", StringValue: message.source },
        },
      }),
    );
  }
}
