/**
 * The soak: runs created through the Prefect API (scheduled at a few instants, found by the tick),
 * by `trigger` messages (some fired twice, as a duplicate cron firing) and by the signed webhook,
 * carried through the AWS pipeline (./pipeline.ts) with faults between pushpool and both peers
 * (./proxies.ts) and crashes inside the dispatcher. Faults and crashes end at a defined time
 * (`faultTailSeconds` after the last run was requested or due); no run is requested after that.
 * Then the soak waits for quiet (./quiet.ts) up to a cap, noting each run's progress
 * (./progress.ts), and takes the census (./verdict.ts). Everything the functions print and every
 * request they make is scanned for the canary secrets.
 */
import { writeFileSync } from "node:fs";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mulberry32 } from "../reliability/faultProxy.ts";
import { signedFunctionUrlEvent } from "../reliability/secretHygieneKit.ts";
import { addHits, type Canaries, canaryHits, captureStdio, noHits } from "./capture.ts";
import { CRASH_RATES, type Pipeline, startPipeline, TICK_SECONDS, VISIBILITY_TIMEOUT } from "./pipeline.ts";
import { ProgressLog } from "./progress.ts";
import { startProxies } from "./proxies.ts";
import { untilQuiet } from "./quiet.ts";
import { RequestKinds } from "./requestKinds.ts";
import { judge, type SoakResult } from "./verdict.ts";
import { createWorld, REGION, TEST_CREDENTIALS, useMoto, type World } from "./world.ts";

export interface SoakOptions {
  prefectApiUrl: string;
  /** The server's PREFECT_SERVER_API_AUTH_STRING, when it has one. */
  prefectAuthString?: string;
  motoEndpoint: string;
  seed: number;
  runs: number;
  canaries: Canaries;
  /** Keep moto tasks RUNNING until StopTask (a moto-wide state-manager setting: own moto only). */
  holdTasks: boolean;
  /** Faults and crashes go on this long after the last run was requested or due (default 60). */
  faultTailSeconds?: number;
  /** How long the soak waits for quiet once faults ended, at most (default 600). */
  quietCapSeconds?: number;
  /**
   * An unfinished run with no progress for this long (counted from the later of its last progress
   * and the end of faults) is stuck. Default: twice the start timeout plus two ticks — the longest
   * a run may wait, without faults, for redelivery or reconcile to move it.
   */
  stuckSeconds?: number;
  /** Tick cadence in seconds (default 20). */
  tickSeconds?: number;
  /** SQS visibility timeout of both queues (default VISIBILITY_TIMEOUT of ./pipeline.ts). */
  visibilityTimeout?: number;
  /** Seconds between the 4 schedule instants (default 12). */
  spreadSeconds?: number;
  progress?(line: string): void;
  /** Where to write every line the functions printed (for a post-mortem). */
  logFile?: string;
}

/** Calls a webhook caller makes before giving up (the last ~2 min after the first). */
const WEBHOOK_ATTEMPTS = 12;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Set-up calls straight to the server: retried while SQLite is busy (503) or the server is slow. */
async function retrying<T>(call: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await call();
    } catch (error) {
      if (i >= attempts) throw error;
      await sleep(Math.min(5_000, 250 * i));
    }
  }
}

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const t0 = Date.now();
  const progress = o.progress ?? (() => {});
  useMoto(o.motoEndpoint);
  if (o.holdTasks)
    await fetch(`${o.motoEndpoint}/moto-api/state-manager/set-transition`, {
      method: "POST",
      body: JSON.stringify({ model_name: "ecs::task", transition: { progression: "manual", times: 1e9 } }),
    });
  const world = await createWorld({
    motoEndpoint: o.motoEndpoint,
    prefectApiUrl: o.prefectApiUrl,
    prefectAuthString: o.prefectAuthString,
    secrets: { apiKey: o.canaries.apiKey, authString: o.canaries.authString },
    deployments: 4,
    visibilityTimeout: o.visibilityTimeout ?? VISIBILITY_TIMEOUT,
    maxReceiveCount: 5,
  });
  const hits = { requests: noHits(), logs: noHits() };
  const log = new ProgressLog();
  const kinds = new RequestKinds();
  const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
  const proxies = await startProxies({
    ...o,
    onRequest: (r, peer) => {
      addHits(hits.requests, canaryHits(JSON.stringify(r), o.canaries));
      if (peer !== "prefect") return;
      kinds.add(r.method, r.path, r.body);
      const id = UUID.exec(r.path)?.[0];
      // A write naming a run (set_state, PATCH pid/labels) is progress of that run.
      if (id && r.method !== "GET" && !r.path.includes("/filter"))
        log.note(id, `${r.method} ${r.path.split("?")[0]?.replace(id, ":id")} ${r.body.slice(0, 60)}`);
    },
  });
  const faults = { on: true };
  const visibility = o.visibilityTimeout ?? VISIBILITY_TIMEOUT;
  const stuckAfterMs = (o.stuckSeconds ?? 2 * (visibility + 15) + 2 * (o.tickSeconds ?? TICK_SECONDS)) * 1000;
  const capture = captureStdio({ echo: false });
  const sqs = new SQSClient({ region: REGION, endpoint: o.motoEndpoint, credentials: TEST_CREDENTIALS });
  let pipeline: Pipeline | undefined;
  try {
    const { created, lastDueAt } = await createApiRuns(o, world);
    progress(`created ${created.length} runs through the API by ${secs(t0)} s`);
    pipeline = await startPipeline({
      world,
      proxies,
      sqs,
      seed: o.seed,
      prefectApiUrl: o.prefectApiUrl,
      webhookSecret: o.canaries.webhookSecret,
      crash: CRASH_RATES,
      failRate: 0.08,
      tickSeconds: o.tickSeconds,
      visibilityTimeout: o.visibilityTimeout,
      crashing: () => faults.on,
      onProgress: (run, what) => log.note(run, what),
      onSent: (run, what) => log.sent(run, what),
      onDelivered: (run, first, what) => log.delivered(run, first, what),
      onHandled: (run) => log.handled(run),
    });
    const load = { created, ...(await createTriggered(o, world, pipeline, sqs)) };
    progress(`${load.keys.length} trigger/webhook keys sent by ${secs(t0)} s`);
    // Load has ended; faults go on for a defined tail, then stop, and the pipeline drains.
    const faultsEndAt = Math.max(Date.now(), lastDueAt) + (o.faultTailSeconds ?? 60) * 1000;
    await sleep(faultsEndAt - Date.now());
    faults.on = false;
    proxies.prefect.setEnabled(false);
    proxies.ecs.setEnabled(false);
    const faultsEndedAt = Date.now();
    const duringFaults = {
      prefect: proxies.prefect.stats(),
      ecs: proxies.ecs.stats(),
      crashes: { ...pipeline.dispatch.stats.crashes },
      claims: pipeline.dispatch.stats.hooks.afterClaim,
      submits: pipeline.dispatch.stats.hooks.afterSubmit,
      seconds: (faultsEndedAt - t0) / 1000,
    };
    progress(`faults ended at ${secs(t0)} s; waiting for quiet`);
    const quiet = await untilQuiet({
      world,
      pipeline,
      log,
      faultsEndedAt,
      capMs: (o.quietCapSeconds ?? 600) * 1000,
      stuckAfterMs,
      progress,
    });
    await pipeline.stop();
    for (const line of capture.lines()) addHits(hits.logs, canaryHits(line, o.canaries));
    if (o.logFile) writeFileSync(o.logFile, capture.text());
    return await judge({
      o,
      world,
      t0,
      quiet,
      progressLog: log,
      requestKinds: kinds,
      duringFaults,
      ...load,
      sent: pipeline.sent,
      dispatch: pipeline.dispatch.stats,
      events: pipeline.events.stats,
      engine: pipeline.engine.stats,
      proxies,
      logLines: capture.lines(),
      canaryHits: hits,
      ticks: pipeline.ticks,
    });
  } finally {
    await pipeline?.stop();
    capture.restore();
    await proxies.stop();
  }
}

const secs = (t0: number) => ((Date.now() - t0) / 1000).toFixed(0);

/** How the runs are made: 80 % through the API (found by the tick), 15 % trigger messages, 5 % webhook. */
function split(runs: number) {
  const byTrigger = Math.round(runs * 0.15);
  const byWebhook = Math.max(1, Math.round(runs * 0.05));
  return { byApi: runs - byTrigger - byWebhook, byTrigger, byWebhook };
}

/**
 * The API share, created before the functions start (so creation does not compete with them), one
 * at a time (SQLite answers 503 to concurrent creates), scheduled at 4 instants `spread` apart from
 * just after creation ends.
 */
async function createApiRuns(
  o: SoakOptions,
  world: World,
): Promise<{ created: string[]; lastDueAt: number }> {
  const { byApi } = split(o.runs);
  const spread = (o.spreadSeconds ?? 12) * 1000;
  const base = Date.now() + 8_000 + byApi * 40;
  const created: string[] = [];
  for (let n = 0; n < byApi; n++) {
    const run = await retrying(() =>
      world.admin.createFlowRun(world.deployments[n % world.deployments.length]?.id ?? "", {
        scheduled_at: new Date(base + (n % 4) * spread),
        idempotency_key: `soak-api-${world.prefix}-${n}`,
      }),
    );
    created.push(run.id);
  }
  return { created, lastDueAt: base + 3 * spread };
}

/** Trigger messages (1 in 8 sent twice, as a duplicate cron firing) and signed webhook calls. */
async function createTriggered(o: SoakOptions, world: World, pipeline: Pipeline, sqs: SQSClient) {
  const random = mulberry32(o.seed);
  const { byTrigger, byWebhook } = split(o.runs);
  const spread = (o.spreadSeconds ?? 12) * 1000;
  const keys: string[] = [];
  const webhookFailures: string[] = [];
  let webhookRetries = 0;
  const deployment = (i: number) => world.deployments[i % world.deployments.length];
  const ref = (i: number) => (i % 2 ? `soak/${deployment(i)?.name}` : (deployment(i)?.id ?? ""));
  const triggers = async () => {
    for (let i = 0; i < byTrigger; i++) {
      const key = `soak-trigger-${world.prefix}-${i}`;
      keys.push(key);
      const body = JSON.stringify({
        v: 1,
        kind: "trigger",
        deployment: ref(i),
        idempotencyKey: key,
        source: "soak",
      });
      for (let c = random() < 0.125 ? 2 : 1; c > 0; c--) {
        await sqs.send(new SendMessageCommand({ QueueUrl: world.dispatch.url, MessageBody: body }));
        pipeline.sent.dispatch++;
      }
      await sleep((3 * spread) / byTrigger);
    }
  };
  // Independent callers, one every 3 × spread / byWebhook: a caller retrying does not hold back the
  // next one, so load generation ends within one retry window of the last slot.
  const webhook = async (i: number) => {
    await sleep((i * 3 * spread) / byWebhook);
    const key = `soak-webhook-${world.prefix}-${i}`;
    const body = JSON.stringify({ deployment: ref(i), idempotencyKey: key });
    // A 5xx (Prefect busy or unreachable through the proxy) is what a CI caller retries: backing
    // off 1, 2, 4, 8 s, then every 16 s, for about two minutes (a burst of due runs keeps a
    // SQLite-backed server answering 503 to creates for a minute or more).
    for (let attempt = 1; ; attempt++) {
      const response = await pipeline.webhook(signedFunctionUrlEvent(body, o.canaries.webhookSecret));
      if (response.statusCode === 202 || response.statusCode === 200) break;
      if (attempt >= WEBHOOK_ATTEMPTS) {
        webhookFailures.push(`${key} ${response.statusCode} ${response.body}`);
        break;
      }
      webhookRetries++;
      await sleep(1000 * Math.min(16, 2 ** (attempt - 1)));
    }
    keys.push(key);
  };
  const webhooks = () => Promise.all(Array.from({ length: byWebhook }, (_, i) => webhook(i)));
  await Promise.all([triggers(), webhooks()]);
  return { keys, webhookFailures, webhookRetries };
}
