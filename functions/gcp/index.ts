/**
 * @module
 * The Cloud Functions (2nd gen) entry point: registers every pushpool function with
 * @google-cloud/functions-framework. Each deployed function names its target (`entry_point`):
 * `dispatch`, `tick`, `webhook`, `cron` (HTTP) and `events` (CloudEvent). Importing this module is
 * cheap: each handler builds the runtime on its first invocation (./wiring.ts).
 */
import * as ff from "@google-cloud/functions-framework";
import { cron } from "./cron.ts";
import { dispatch } from "./dispatch.ts";
import { events } from "./events.ts";
import { tickHandler } from "./tick.ts";
import { webhook } from "./webhook.ts";

ff.http("dispatch", dispatch);
ff.http("tick", tickHandler);
ff.http("webhook", webhook);
ff.http("cron", cron);
ff.cloudEvent("events", events);
