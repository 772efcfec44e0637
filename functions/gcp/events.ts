/**
 * @module
 * The events function: a CloudEvent from the infrastructure-events Pub/Sub topic
 * (`google.cloud.pubsub.topic.v1.messagePublished`, the message a Cloud Logging sink published) or
 * an Eventarc audit-log event (`google.cloud.audit.log.v1.written`, the log entry as `data`).
 * The entry names a Cloud Run execution (core/backends/cloud-run-v2/events.ts); its state is read
 * from the Cloud Run API with the function's own identity and applied by core handleInfraEvent:
 * InfrastructurePending while it starts, Crashed with Prefect's message when it failed. The tick's
 * reconcile is the fallback for every state, so an event missed here is only slower.
 *
 * Acknowledged with a line (never retried): entries naming no execution (debug), executions gone
 * or not started by pushpool, malformed messages. A transient failure (Prefect or Google
 * unavailable) is thrown: the framework answers 500 and Pub/Sub redelivers.
 */
import type { CloudEvent } from "@google-cloud/functions-framework";
import { classifyGoogleError } from "../../core/backends/cloud-run-v2/classify.ts";
import { executionEvent, executionNameIn } from "../../core/backends/cloud-run-v2/events.ts";
import { handleInfraEvent } from "../../core/runs/infraEvents.ts";
import { consumeRecord } from "../../core/runtime/consume.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import { pubsubEnvelope } from "./pubsubQueue.ts";
import { type GcpRuntime, runtime } from "./wiring.ts";

export const PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished";

export function makeEventsHandler(getRuntime: () => Promise<GcpRuntime> = runtime) {
  return async (event: CloudEvent<unknown>): Promise<void> => {
    const rt = await getRuntime();
    const { logger, deps } = rt;
    const ids: Record<string, unknown> = { eventId: event.id, eventType: event.type };
    await consumeRecord("infrastructure event", ids, logger, async () => {
      const entry = payloadOf(event);
      const name = executionNameIn(entry);
      // Vertex AI custom jobs publish no state-change event this function receives: their states
      // reach Prefect through the tick's reconcile (core/runs/reconcile.ts), as every state can.
      if (!name) {
        logger.debug("infrastructure event ignored: it names no Cloud Run execution", ids);
        return;
      }
      ids.execution = name;
      let execution: Awaited<ReturnType<ReturnType<GcpRuntime["cloudRunApiFor"]>["getExecution"]>>;
      try {
        execution = await rt.cloudRunApiFor(null).getExecution(name);
      } catch (error) {
        throw classifyGoogleError(error, "Failed to read the Cloud Run execution of an event");
      }
      if (!execution) {
        logger.info("infrastructure event ignored: the execution no longer exists", ids);
        return;
      }
      const infra = executionEvent(execution);
      if (!infra) {
        logger.info("infrastructure event ignored: execution not started by pushpool", ids);
        return;
      }
      Object.assign(ids, { flowRunId: infra.flowRunId, pid: infra.pid, phase: infra.phase });
      const outcome = await handleInfraEvent(infra, {
        api: deps.api,
        logger,
        backend: rt.cloudRun,
        cleanup: deps,
      });
      logger.info("infrastructure event handled", { ...ids, ...outcome });
    });
  };
}

/** The log entry an event carries: a Pub/Sub message's data (read by pubsubEnvelope), else the event's data. */
export function payloadOf(event: CloudEvent<unknown>): unknown {
  if (event.type !== PUBSUB_PUBLISHED) return event.data;
  const { body } = pubsubEnvelope(event.data);
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new ValidationError(`Pub/Sub message data is not JSON: ${(error as Error).message}`);
  }
}

export const events = makeEventsHandler();
