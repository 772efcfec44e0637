/**
 * @module
 * One timer trigger per `PUSHPOOL_CRONS` entry (./crons.ts): each firing enqueues a core `trigger`
 * message for the entry's deployment on the Storage Queue (the dispatch function creates the run
 * and dispatches it, with the queue's retries). The occurrence is the latest time the schedule
 * matches at the firing (a second of slack for a timer that fires a little early), and the
 * idempotency key is the deployment plus that time: a timer fired twice for one occurrence (a
 * past-due catch-up, two instances) makes one flow run.
 */
import type { InvocationContext, Timer } from "@azure/functions";
import type { TriggerMessage } from "../../core/runtime/messages.ts";
import { ConfigError } from "../../core/shared/errors.ts";
import type { CronEntry } from "./crons.ts";
import { latestOccurrence } from "./ncrontab.ts";
import { type AzureRuntime, runtime } from "./wiring.ts";

/** A timer firing up to this early still names the occurrence it was meant for. */
const EARLY_SLACK_MS = 1000;

/** The trigger message of one occurrence of a cron entry. */
export function cronTrigger(entry: CronEntry, firedAt: Date): TriggerMessage {
  const occurrence = latestOccurrence(entry.schedule, new Date(firedAt.getTime() + EARLY_SLACK_MS));
  if (!occurrence)
    throw new ConfigError(
      `cron '${entry.name}': '${entry.schedule.expression}' has no occurrence before ${firedAt.toISOString()}`,
    );
  const scheduledTime = occurrence.toISOString().replace(/\.000Z$/, "Z");
  return {
    v: 1,
    kind: "trigger",
    deployment: entry.deployment,
    ...(entry.parameters ? { parameters: entry.parameters } : {}),
    ...(entry.jobVariables ? { jobVariables: entry.jobVariables } : {}),
    idempotencyKey: `cron:${entry.deployment}:${scheduledTime}`,
    scheduledTime,
    source: `cron:${entry.name}`,
  };
}

export function makeCronHandler(entry: CronEntry, getRuntime: () => Promise<AzureRuntime> = runtime) {
  return async (timer?: Timer, _context?: InvocationContext): Promise<TriggerMessage> => {
    const { deps, logger } = await getRuntime();
    const message = cronTrigger(entry, deps.clock.now());
    await deps.queue.send(message);
    logger.info("cron fired", {
      cron: entry.name,
      deployment: entry.deployment,
      scheduledTime: message.scheduledTime,
      pastDue: timer?.isPastDue ?? false,
    });
    return message;
  };
}
