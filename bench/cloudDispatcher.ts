/**
 * @module
 * The pushpool side of `npm run bench:gcp` / `npm run bench:azure`: one function process. It
 * builds its deps once (bench/cloudRuntime.ts, as a cold start would) and handles every queue
 * message the bench's in-process delayed queue delivers over IPC with core's
 * {@link handleMessage}, concurrently, as the push queue (Cloud Tasks, an Azure Storage Queue
 * trigger) hands them to the function; a message core sends back to the queue (an early delivery
 * re-sent with its remaining delay) goes back to the bench's queue over IPC.
 *
 * Started by bench/cloudHarness.ts with `node --import tsx` and an IPC channel; its target in
 * BENCH_CLOUD_TARGET (JSON, {@link CloudTarget}); PREFECT_API_URL and PUSHPOOL_* are its own
 * environment. Sends `{type: "ready"}`, on `{type: "message", body}` handles one, and on
 * `{type: "stop"}` answers `{type: "result", ...}` and exits.
 */

import type { Queue } from "../core/ports/queue.ts";
import { stringifyJson } from "../core/prefect/json.ts";
import { handleMessage } from "../core/runtime/handleMessage.ts";
import { type CloudTarget, cloudDeps, stderrLogger } from "./cloudRuntime.ts";

export interface PrefectTrip {
  method: string;
  path: string;
  status: number;
  ms: number;
}

export interface CloudDispatcherResult {
  type: "result";
  handled: number;
  outcomes: Record<string, number>;
  errors: string[];
  /** Handling time of each message (ms). */
  handleMs: number[];
  prefectTrips: PrefectTrip[];
}

type ParentMessage = { type: "message"; body: string } | { type: "stop" };

async function main(): Promise<void> {
  const target = JSON.parse(process.env.BENCH_CLOUD_TARGET ?? "null") as CloudTarget | null;
  if (!target) throw new Error("BENCH_CLOUD_TARGET is not set");
  const send = (m: unknown) => process.send?.(m);
  const queue: Queue = {
    maxDelaySeconds: Number(process.env.BENCH_CLOUD_MAX_DELAY_SECONDS ?? 2_592_000),
    async send(message, options) {
      send({ type: "enqueue", body: stringifyJson(message), delaySeconds: options?.delaySeconds ?? 0 });
    },
  };
  const prefectTrips: PrefectTrip[] = [];
  const { deps } = await cloudDeps({
    target,
    env: process.env,
    queue,
    logger: stderrLogger("dispatcher"),
    onPrefectRequest: (i) =>
      prefectTrips.push({ method: i.method, path: normalize(i.path), status: i.status, ms: i.ms }),
  });
  const result: CloudDispatcherResult = {
    type: "result",
    handled: 0,
    outcomes: {},
    errors: [],
    handleMs: [],
    prefectTrips,
  };
  const inFlight = new Set<Promise<void>>();
  const handle = async (body: string) => {
    const t0 = Date.now();
    try {
      const outcome = await handleMessage(body, deps);
      const key = outcome.kind === "dispatch" ? `dispatch:${outcome.result.outcome}` : outcome.kind;
      if (outcome.kind === "dispatch" && outcome.result.outcome !== "submitted")
        result.errors.push(
          `${outcome.result.outcome}: ${"reason" in outcome.result ? outcome.result.reason : ""}`,
        );
      result.outcomes[key] = (result.outcomes[key] ?? 0) + 1;
    } catch (error) {
      // A thrown message would be redelivered by the queue; the bench counts it as an error.
      result.errors.push(error instanceof Error ? error.message : String(error));
    } finally {
      result.handled++;
      result.handleMs.push(Date.now() - t0);
    }
  };
  process.on("message", (m: ParentMessage) => {
    if (m.type === "message") {
      const p = handle(m.body).finally(() => inFlight.delete(p));
      inFlight.add(p);
    } else if (m.type === "stop") {
      void Promise.all(inFlight).then(() => {
        send(result);
        setTimeout(() => process.exit(0), 200);
      });
    }
  });
  send({ type: "ready" });
}

/** `/flow_runs/<uuid>/set_state` → `/flow_runs/:id/set_state`, so trips group by endpoint. */
function normalize(path: string): string {
  return (
    path.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, ":id").split("?")[0] ?? path
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `dispatcher failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
