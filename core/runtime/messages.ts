/**
 * @module
 * Queue payloads, versioned and validated at the edge (zod). A message that does not parse is a
 * permanent failure: it is reported with the reason and never retried.
 */

import { z } from "zod";
import { ValidationError } from "../shared/errors.ts";
import { parseJson } from "../template/pyFloat.ts";

const uuid = z.uuid();
const source = z.string().min(1).max(200);

export const DispatchMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("dispatch"),
  flowRunId: uuid,
  pool: z.string().min(1).max(200),
  /** ISO time before which the run should not be submitted (delivery may be early). */
  notBefore: z.iso.datetime({ offset: true }).optional(),
  source,
  /**
   * The run as the tick's query answered it, so that the dispatch need not read it again. Checked
   * where it is used (core/runs/runSnapshot.ts), not here: a snapshot that does not pass is
   * ignored and the run read, never a reason to drop the message.
   */
  snapshot: z.unknown().optional(),
});
export type DispatchMessage = z.infer<typeof DispatchMessage>;

/** What the queue says of one delivery of a message. */
export interface Delivery {
  /**
   * Which delivery of the message this is, from 1 (SQS `ApproximateReceiveCount`, Cloud Tasks'
   * attempt, Azure's `dequeueCount`, the local queue's count); unset when the queue does not say.
   */
  attempt?: number;
}

/** `flow/deployment` (names, as `prefect deployment run` takes them) or a deployment id. */
export const DeploymentRef = z
  .string()
  .min(1)
  .max(400)
  .refine((s) => uuid.safeParse(s).success || /^[^/]+\/[^/]+$/.test(s), {
    message: "must be 'flow-name/deployment-name' or a deployment id",
  });

export const TriggerMessage = z.strictObject({
  v: z.literal(1),
  kind: z.literal("trigger"),
  deployment: DeploymentRef,
  parameters: z.record(z.string(), z.unknown()).optional(),
  jobVariables: z.record(z.string(), z.unknown()).optional(),
  idempotencyKey: z.string().min(1).max(500),
  scheduledTime: z.iso.datetime({ offset: true }).optional(),
  source,
  /** Set when pushpool put the trigger back because Prefect could not create the run: since when. */
  deferredSince: z.iso.datetime({ offset: true }).optional(),
});
export type TriggerMessage = z.infer<typeof TriggerMessage>;

export const QueueMessage = z.discriminatedUnion("kind", [DispatchMessage, TriggerMessage]);
export type QueueMessage = z.infer<typeof QueueMessage>;

/** Parses a raw queue body. Throws a ValidationError naming the first problem. */
export function parseQueueMessage(body: string): QueueMessage {
  let raw: unknown;
  try {
    raw = parseJson(body);
  } catch (e) {
    throw new ValidationError(`message body is not JSON: ${(e as Error).message}`);
  }
  const parsed = QueueMessage.safeParse(raw);
  if (!parsed.success) throw new ValidationError(`invalid message: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

/** `path: problem; path: problem` from a zod error. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
