/**
 * The AWS side of the soak, as Lambda would run it: the real dispatch, events, tick and webhook
 * handlers, each function instance built by the real `createRuntime` (secrets read from Secrets
 * Manager at cold start), SQS event source mappings with crash injection (./lambda.ts), a tick every
 * few seconds, and the flow "container" (./engine.ts).
 */
import type { Message, SQSClient } from "@aws-sdk/client-sqs";
import { parseStartedBy } from "../../core/backends/ecs/startedBy.ts";
import type { Faults } from "../../core/runtime/deps.ts";
import { makeDispatchHandler } from "../../functions/aws/dispatch.ts";
import { ecsApiFactory } from "../../functions/aws/ecsApi.ts";
import { makeEventsHandler } from "../../functions/aws/events.ts";
import { SqsQueue } from "../../functions/aws/queue.ts";
import { makeTickHandler } from "../../functions/aws/tick.ts";
import { makeWebhookHandler } from "../../functions/aws/webhook.ts";
import { createRuntime } from "../../functions/aws/wiring.ts";
import { mulberry32 } from "../reliability/faultProxy.ts";
import { startEngine } from "./engine.ts";
import { startMapping } from "./lambda.ts";
import type { Proxies } from "./proxies.ts";
import { REGION, TEST_CREDENTIALS, type World } from "./world.ts";

/**
 * Dispatcher crash rates while faults last. A crash kills the whole invocation (all 10 records come
 * back), so these per-step rates give ≈ 1 crash per 10 claims while keeping redeliveries of
 * innocent records below maxReceiveCount. The draws are stratified (./lambda.ts): a step crashes
 * once in each block of 1 ÷ rate calls.
 */
export const CRASH_RATES = { afterClaim: 0.04, afterSubmit: 0.04, midBatch: 0.05 };

export interface PipelineOptions {
  world: World;
  proxies: Proxies;
  sqs: SQSClient;
  seed: number;
  prefectApiUrl: string;
  webhookSecret: string;
  /** Crash rates of the dispatch function (per claim, per submit, per invocation). */
  crash: { afterClaim: number; afterSubmit: number; midBatch: number };
  failRate: number;
  /** Tick cadence (default {@link TICK_SECONDS}). */
  tickSeconds?: number;
  /** Of both queues' mappings (default {@link VISIBILITY_TIMEOUT}); the queues must match it. */
  visibilityTimeout?: number;
  /** Dispatcher crashes are injected only while this says so. */
  crashing(): boolean;
  /** Progress of a run: a step of its task. */
  onProgress(runId: string, what: string): void;
  /** A dispatch message for a run sent; one delivered (`first`: not a redelivery). */
  onSent(runId: string, what: string): void;
  onDelivered(runId: string, first: boolean, what: string): void;
  /** The invocation that got a dispatch message for the run ended. */
  onHandled(runId: string): void;
}

/** The run of an ECS task event (its task's `startedBy`). */
function runOfEvent(message: Message): string | null {
  try {
    const body = JSON.parse(message.Body ?? "{}") as { detail?: { startedBy?: string } };
    return parseStartedBy(body.detail?.startedBy)?.flowRunId ?? null;
  } catch {
    return null;
  }
}

/** The run a dispatch message names (trigger messages name none yet). */
function runOf(message: Message): string | null {
  try {
    const body = JSON.parse(message.Body ?? "{}") as { flowRunId?: unknown; kind?: unknown };
    return typeof body.flowRunId === "string" ? body.flowRunId : null;
  } catch {
    return null;
  }
}

/**
 * Above the slowest invocation: a trigger retries its create for up to 30 s while the server is
 * busy (core/createFlowRun.ts), plus its last call. (Production: 370 s, ≥ 6 × the 60 s timeout.)
 */
export const VISIBILITY_TIMEOUT = 45;
/**
 * The tick's cadence. Production ticks each minute; faster is fine, but every tick re-enqueues
 * each overdue unclaimed run, so a tick much faster than the dispatchers drain a backlog of due
 * runs multiplies duplicate deliveries (they are absorbed, at one read each).
 */
export const TICK_SECONDS = 20;

export async function startPipeline(o: PipelineOptions) {
  const { world, proxies, sqs } = o;
  const tickSeconds = o.tickSeconds ?? TICK_SECONDS;
  const visibilityTimeout = o.visibilityTimeout ?? VISIBILITY_TIMEOUT;
  const sent = { dispatch: 0 };
  const env: Record<string, string | undefined> = {
    ...process.env,
    PREFECT_API_URL: proxies.prefectUrl,
    PREFECT_API_KEY: "",
    PREFECT_API_AUTH_STRING: "",
    PUSHPOOL_PREFECT_API_KEY_SECRET_ARN: world.apiKeySecretArn,
    PUSHPOOL_PREFECT_AUTH_STRING_SECRET_ARN: world.authStringSecretArn,
    PUSHPOOL_WEBHOOK_SECRET: o.webhookSecret,
    PUSHPOOL_POOLS: world.pool.name,
    PUSHPOOL_QUEUE_URL: world.dispatch.url,
    PUSHPOOL_ECS_CLUSTERS: world.cluster,
    PUSHPOOL_TICK_SECONDS: String(tickSeconds),
    PUSHPOOL_HORIZON_SECONDS: "20",
    PUSHPOOL_LEAD_SECONDS: "0",
    // Reconcile is the backstop of redelivery: it resubmits a claim left without infrastructure
    // once the redelivery had its chance (and crashes it after twice that).
    PUSHPOOL_START_TIMEOUT_SECONDS: String(visibilityTimeout + 15),
    PUSHPOOL_CONTAINER_API_URL: o.prefectApiUrl,
    PREFECT_API_REQUEST_TIMEOUT: "10",
  };
  const queue = new SqsQueue(world.dispatch.url, sqs);
  const newRuntime = async (faults?: Faults) =>
    await createRuntime({
      env,
      faults,
      ecsApiFor: ecsApiFactory({ endpoint: proxies.ecsUrl, region: REGION, credentials: TEST_CREDENTIALS }),
      queue: {
        maxDelaySeconds: queue.maxDelaySeconds,
        send: async (message, options) => {
          await queue.send(message, options);
          sent.dispatch++;
          if (message.kind === "dispatch")
            o.onSent(message.flowRunId, `dispatch message sent (delay ${options?.delaySeconds ?? 0} s)`);
        },
      },
    });
  const crashRandom = mulberry32(o.seed ^ 0xc4a5);
  const dispatch = startMapping({
    sqs,
    queue: world.dispatch,
    region: REGION,
    pollers: 8,
    visibilityTimeout,
    handlerFor: makeDispatchHandler,
    newRuntime,
    crash: { ...o.crash, random: crashRandom, enabled: o.crashing },
    onDelivery: (m) => {
      const run = runOf(m);
      const count = m.Attributes?.ApproximateReceiveCount ?? "1";
      if (run) o.onDelivered(run, count === "1", `dispatch message delivered (receive ${count})`);
    },
    onHandled: (m) => {
      const run = runOf(m);
      if (run) o.onHandled(run);
    },
  });
  const events = startMapping({
    sqs,
    queue: world.events,
    region: REGION,
    pollers: 2,
    visibilityTimeout,
    handlerFor: makeEventsHandler,
    newRuntime: () => newRuntime(undefined),
    onDelivery: (m) => {
      const run = runOfEvent(m);
      const count = m.Attributes?.ApproximateReceiveCount ?? "1";
      if (run) o.onProgress(run, `ECS event delivered (receive ${count})`);
    },
    crash: {
      afterClaim: 0,
      afterSubmit: 0,
      midBatch: o.crash.midBatch / 2,
      random: crashRandom,
      enabled: o.crashing,
    },
  });
  const engine = startEngine({
    world,
    failRate: o.failRate,
    random: mulberry32(o.seed ^ 0xe9),
    orphanGraceMs: 12_000,
    onProgress: o.onProgress,
  });
  const front = await newRuntime(undefined);
  const tickHandler = makeTickHandler(async () => front);
  const webhook = makeWebhookHandler(async () => front);
  const ticks = { count: 0, failed: 0 };
  let ticking = true;
  const tickLoop = (async () => {
    while (ticking) {
      const result = await tickHandler({}).catch(() => null);
      ticks.count++;
      if (!result || result.error || result.ticked.some((t) => t.error)) ticks.failed++;
      await new Promise((r) => setTimeout(r, tickSeconds * 1000));
    }
  })();
  return {
    sent,
    dispatch,
    events,
    engine,
    webhook,
    ticks,
    busy: () => dispatch.busy() + events.busy() + engine.running(),
    async stop() {
      ticking = false;
      await tickLoop;
      await Promise.all([dispatch.stop(), events.stop(), engine.stop()]);
    },
  };
}

export type Pipeline = Awaited<ReturnType<typeof startPipeline>>;
