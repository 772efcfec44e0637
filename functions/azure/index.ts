/**
 * @module
 * The Function App's entry (package.json `main`): registers every function with the v4
 * programming model. Handler modules (and the Azure SDKs behind them) load on a function's first
 * invocation, so a cold start pays only for what it runs.
 *
 * - `dispatch`: Storage Queue trigger on `%PUSHPOOL_QUEUE_NAME%` (connection `AzureWebJobsStorage`,
 *   by identity) → ./dispatch.ts;
 * - `tick`: timer each minute → ./tick.ts;
 * - `webhook`: HTTP `POST /api/trigger`, anonymous at the host (HMAC-checked) → ./webhook.ts;
 * - `cron-<name>`: one timer per `PUSHPOOL_CRONS` entry → ./cron.ts (a bad `PUSHPOOL_CRONS` is one
 *   error line naming the entry and field at start-up, and no cron is registered; the other
 *   functions keep working);
 * - `poison`: timer clearing `<queue>-poison` → ./poison.ts.
 */
import { app, type InvocationContext, type Timer } from "@azure/functions";
import { describeError } from "../../core/shared/errors.ts";
import { POISON_SCHEDULE, TICK_SCHEDULE } from "./hostSettings.ts";

/** The queue trigger's connection: the `AzureWebJobsStorage__*` identity-based settings. */
const CONNECTION = "AzureWebJobsStorage";

type Handler<A extends unknown[], R> = (...args: A) => Promise<R>;
/** A handler whose module is imported on the first invocation. */
function lazy<A extends unknown[], R>(load: () => Promise<Handler<A, R>>): Handler<A, R> {
  let loaded: Promise<Handler<A, R>> | undefined;
  return async (...args: A) => {
    loaded ??= load();
    return await (await loaded)(...args);
  };
}

app.storageQueue("dispatch", {
  queueName: "%PUSHPOOL_QUEUE_NAME%",
  connection: CONNECTION,
  // Bytes, not a string: @azure/functions would JSON.parse a string, and a trigger's float
  // parameters (1.0) must reach Prefect as the sender wrote them (core parses them itself).
  ...({ dataType: "binary" } as object),
  handler: lazy(async () => (await import("./dispatch.ts")).handler),
});

app.timer("tick", {
  schedule: TICK_SCHEDULE,
  handler: lazy(async () => (await import("./tick.ts")).handler),
});

app.http("webhook", {
  route: "trigger",
  methods: ["POST"],
  authLevel: "anonymous",
  handler: lazy(async () => (await import("./webhook.ts")).handler),
});

app.timer("poison", {
  schedule: POISON_SCHEDULE,
  handler: lazy(async () => (await import("./poison.ts")).handler),
});

// Crons (and zod, which checks them) load only when some are configured.
if (process.env.PUSHPOOL_CRONS?.trim()) {
  const { cronFunctionName, parseCrons } = await import("./crons.ts");
  try {
    for (const entry of parseCrons(process.env)) {
      app.timer(cronFunctionName(entry), {
        schedule: entry.schedule.expression,
        handler: lazy(async () => {
          const { makeCronHandler } = await import("./cron.ts");
          return makeCronHandler(entry) as Handler<[Timer, InvocationContext], unknown>;
        }),
      });
    }
  } catch (error) {
    console.error(
      JSON.stringify({ level: "error", message: "no cron registered", error: describeError(error) }),
    );
  }
}
