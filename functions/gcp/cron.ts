/**
 * @module
 * The cron function: HTTP, invoked by one Cloud Scheduler job per cron (OIDC), body
 * `{"name"?: cron, "deployment": "flow/deployment" | id, "parameters"?: {…}, "jobVariables"?: {…}}`. Creates a
 * run of the deployment scheduled at the firing's time and dispatches it (core/runs/trigger.ts).
 *
 * Idempotent per firing: the key is `cron:<scheduler job>:<X-CloudScheduler-ScheduleTime>`, so a
 * retried or duplicated firing finds the run it created instead of making a second. Answers:
 * 200 run created or found; 202 Prefect could not create it yet and the trigger went back on the
 * queue (core/runs/deferTrigger.ts); 400 missing/invalid header or body; 422 a trigger that can
 * never succeed (the deployment does not exist…); 503 a transient failure (Cloud Scheduler retries).
 */
import type { Request, Response } from "@google-cloud/functions-framework";
import { z } from "zod";
import { handleMessage } from "../../core/runtime/handleMessage.ts";
import { DeploymentRef, formatIssues, type TriggerMessage } from "../../core/runtime/messages.ts";
import { describeError } from "../../core/shared/errors.ts";
import { parseJson } from "../../core/template/pyFloat.ts";
import { header, rawText, reply, runtimeOr500 } from "./http.ts";
import { type GcpRuntime, runtime } from "./wiring.ts";

export const SCHEDULE_TIME_HEADER = "x-cloudscheduler-scheduletime";
export const JOB_NAME_HEADER = "x-cloudscheduler-jobname";

export const CronBody = z.strictObject({
  /** The cron's name in infra/gcp's `crons` (logged; the run is keyed on the scheduler job). */
  name: z.string().min(1).max(200).optional(),
  deployment: DeploymentRef,
  parameters: z.record(z.string(), z.unknown()).optional(),
  jobVariables: z.record(z.string(), z.unknown()).optional(),
});

export function makeCronHandler(getRuntime: () => Promise<GcpRuntime> = runtime) {
  return async (req: Request, res: Response): Promise<void> => {
    const rt = await runtimeOr500(getRuntime, res, "cron");
    if (!rt) return;
    const { deps, logger } = rt;
    let message: TriggerMessage;
    try {
      message = cronMessage(req);
    } catch (error) {
      const reason = error instanceof CronRequestError ? error.message : describeError(error);
      logger.warn("cron request rejected", { reason });
      reply(res, 400, { error: "bad_request", message: reason });
      return;
    }
    const ids = { deployment: message.deployment, scheduledTime: message.scheduledTime };
    let outcome: Awaited<ReturnType<typeof handleMessage>>;
    try {
      outcome = await handleMessage(JSON.stringify(message), deps);
    } catch (error) {
      const reason = describeError(error);
      logger.warn("cron trigger failed; Cloud Scheduler will retry", { ...ids, reason });
      reply(res, 503, { error: "unavailable", message: reason });
      return;
    }
    if (outcome.kind === "rejected") {
      logger.error("cron trigger rejected", { ...ids, reason: outcome.reason });
      reply(res, 422, { error: "rejected", message: outcome.reason });
    } else if (outcome.kind === "deferred") {
      reply(res, 202, { outcome: "deferred", ...outcome.result });
    } else if (outcome.kind === "trigger") {
      logger.info("cron run", { ...ids, ...outcome.result });
      reply(res, 200, { outcome: "triggered", ...outcome.result });
    } else {
      reply(res, 500, { error: "unexpected", message: `unexpected outcome ${outcome.kind}` });
    }
  };
}

class CronRequestError extends Error {}

/** The trigger message of one Cloud Scheduler firing; throws a CronRequestError naming the problem. */
export function cronMessage(req: Request): TriggerMessage {
  const when = header(req, SCHEDULE_TIME_HEADER)?.trim();
  if (!when)
    throw new CronRequestError(
      "missing X-CloudScheduler-ScheduleTime header: the cron function is invoked by Cloud Scheduler, whose firing time is the run's idempotency key",
    );
  const time = Date.parse(when);
  if (!Number.isFinite(time) || !/^\d{4}-\d\d-\d\dT/.test(when))
    throw new CronRequestError(
      `X-CloudScheduler-ScheduleTime is not an RFC 3339 time: '${when.slice(0, 40)}'`,
    );
  const scheduledTime = new Date(time).toISOString();
  let raw: unknown;
  try {
    raw = parseJson(rawText(req));
  } catch (error) {
    throw new CronRequestError(`body is not JSON: ${(error as Error).message}`);
  }
  const parsed = CronBody.safeParse(raw);
  if (!parsed.success) throw new CronRequestError(`invalid cron body: ${formatIssues(parsed.error)}`);
  const job = header(req, JOB_NAME_HEADER)?.trim().split("/").pop() || parsed.data.deployment;
  return {
    v: 1,
    kind: "trigger",
    deployment: parsed.data.deployment,
    ...(parsed.data.parameters ? { parameters: parsed.data.parameters } : {}),
    ...(parsed.data.jobVariables ? { jobVariables: parsed.data.jobVariables } : {}),
    idempotencyKey: `cron:${job.slice(0, 200)}:${scheduledTime}`,
    scheduledTime,
    source: `cron:${job.slice(0, 190)}`,
  };
}

export const cron = makeCronHandler();
