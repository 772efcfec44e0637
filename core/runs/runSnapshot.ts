/**
 * @module
 * The run as the tick's query answered it, carried in its dispatch message so that the dispatch
 * does not read it again: one Prefect request and one round trip fewer per run.
 *
 * Prefect's worker does the same: it submits from its poll's answer and never reads the run again.
 * The claim keeps it safe: it names the `scheduled_time` of the Scheduled state the tick saw, and a
 * claim that displaced any other state is undone and the run read (core/runs/states.ts). So a run
 * claimed, started or rescheduled since the tick is handled as if it had been read. Job variables
 * and the name changed after the tick are not seen — as by Prefect's worker after its poll — and a
 * snapshot older than {@link SNAPSHOT_MAX_AGE_SECONDS}, or on a redelivery, is not used.
 *
 * Whoever can send to the dispatch queue can already send a trigger with any job variables, so a
 * snapshot gives a sender nothing new.
 */
import { z } from "zod";
import type { Logger } from "../ports/logger.ts";
import { stringifyJson } from "../prefect/json.ts";
import type { FlowRun } from "../prefect/types.ts";
import type { Delivery, DispatchMessage } from "../runtime/messages.ts";

/** A snapshot this old or older is not used: the run is read. */
export const SNAPSHOT_MAX_AGE_SECONDS = 300;

/**
 * A run whose JSON is larger (large parameters) travels without its snapshot: queues have small
 * message limits (an Azure Storage Queue 64 KiB, base64-encoded).
 */
export const SNAPSHOT_MAX_BYTES = 16 * 1024;

const uuid = z.uuid();
const isoTime = z.iso.datetime({ offset: true });

const Snapshot = z.object({
  readAt: isoTime,
  run: z.looseObject({
    id: uuid,
    name: z.string(),
    flow_id: uuid,
    deployment_id: uuid.nullable(),
    state: z.looseObject({
      id: z.string().optional(),
      type: z.literal("SCHEDULED"),
      state_details: z.looseObject({ scheduled_time: isoTime }),
    }),
  }),
});

/** A Scheduled run as the tick read it at `readAt`, with the `scheduled_time` its claim must find. */
export interface SeenRun {
  run: FlowRun;
  scheduledTime: string;
}

/** The snapshot for a dispatch message, or undefined when the run is not Scheduled or too large. */
export function snapshotOf(run: FlowRun, readAt: Date): Record<string, unknown> | undefined {
  const scheduledTime = run.state?.state_details?.scheduled_time;
  if (run.state?.type !== "SCHEDULED" || typeof scheduledTime !== "string") return undefined;
  if (Buffer.byteLength(stringifyJson(run), "utf8") > SNAPSHOT_MAX_BYTES) return undefined;
  return { readAt: readAt.toISOString(), run };
}

/**
 * The message's snapshot when it can stand in for a read of the run: on the message's first
 * delivery, well formed, of this run, Scheduled, and read less than
 * {@link SNAPSHOT_MAX_AGE_SECONDS} ago. Otherwise undefined (and a malformed one is logged): the
 * dispatch reads the run.
 *
 * A redelivery reads the run: an earlier delivery may have claimed it and its flow finished since,
 * and Prefect accepts a claim over a run that finished without a persisted result. The claim would
 * be undone (core/runs/states.ts), but the run would read Pending meanwhile, to its task's exit
 * report too (test/peers/aws/dispatch.test.ts shows the real server accepting such a claim).
 */
export function usableSnapshot(
  message: DispatchMessage,
  delivery: Delivery,
  now: Date,
  logger: Logger,
): SeenRun | undefined {
  if (!message.snapshot || (delivery.attempt ?? 1) > 1) return undefined;
  const parsed = Snapshot.safeParse(message.snapshot);
  if (!parsed.success || parsed.data.run.id !== message.flowRunId) {
    const problem = parsed.success ? "of another flow run" : (parsed.error.issues[0]?.message ?? "malformed");
    logger.warn("snapshot ignored; reading the run", { flowRunId: message.flowRunId, problem });
    return undefined;
  }
  const age = (now.getTime() - Date.parse(parsed.data.readAt)) / 1000;
  if (!(Math.abs(age) < SNAPSHOT_MAX_AGE_SECONDS)) return undefined;
  return {
    run: parsed.data.run as unknown as FlowRun,
    scheduledTime: parsed.data.run.state.state_details.scheduled_time,
  };
}
