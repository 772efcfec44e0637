/**
 * @module
 * The pushpool side of `npm run bench:aws`, in its own Node process (so its CPU can be read from
 * /proc like the Prefect worker's): the REAL dispatch handler (functions/aws/dispatch.ts,
 * `makeDispatchHandler`) fed by an emulation of Lambda's SQS event source mapping on the moto
 * dispatch queue, configured as serverless.yml configures the dispatch function: `batchSize: 10`,
 * `maximumBatchingWindow: 1`, pollers long-polling (WaitTimeSeconds 20, as Lambda's do). Each
 * poller stands for one Lambda instance: it has its own runtime (`createRuntime`: its own Prefect
 * client, SDK clients and task-definition registry, as separate instances would) and handles one
 * batch at a time; the records of a batch are processed concurrently by Powertools' BatchProcessor,
 * as in Lambda. SQSEvent records are built by test/peers/aws/eventSource.ts (`toRecord`).
 *
 * Started by bench/aws.bench.ts with `node --import tsx` and an IPC channel; settings in the
 * BENCH_AWS_DISPATCHER environment variable (JSON, {@link DispatcherSettings}); the handlers'
 * environment (PREFECT_API_URL, PUSHPOOL_*, AWS_ENDPOINT_URL = the recording proxy) is its own.
 * Sends `{type: "ready"}`, and on `{type: "stop"}` answers `{type: "result", ...}` and exits.
 * Every RunTask / RegisterTaskDefinition call is recorded in-process too (a wrapped EcsApi
 * factory), as a cross-check of the proxy's timing.
 */
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { EcsApi, EcsApiFactory, RunTaskRequest } from "../core/backends/ecs/port.ts";
import { makeDispatchHandler } from "../functions/aws/dispatch.ts";
import { ecsApiFactory } from "../functions/aws/ecsApi.ts";
import { createRuntime } from "../functions/aws/wiring.ts";
import { toRecord } from "../test/peers/aws/eventSource.ts";

export interface DispatcherSettings {
  queueUrl: string;
  queueArn: string;
  /** moto's own endpoint: the pollers stand for AWS's event source, not for the function. */
  motoEndpoint: string;
  region: string;
  pollers: number;
  batchSize: number;
  batchWindowSeconds: number;
  visibilityTimeout: number;
}

export interface RecordedRunTask {
  instance: number;
  flowRunId: string;
  start: number;
  end: number;
  ok: boolean;
}

export interface Invocation {
  instance: number;
  at: number;
  ms: number;
  records: number;
  failed: number;
}

/** One Prefect API request made by the handlers (global fetch wrapped): path with ids as `{id}`. */
export interface PrefectTrip {
  method: string;
  path: string;
  start: number;
  end: number;
  status: number;
}

export interface DispatcherResult {
  type: "result";
  prefectTrips: PrefectTrip[];
  runTasks: RecordedRunTask[];
  registrations: { instance: number; family: string; at: number }[];
  invocations: Invocation[];
  errors: string[];
}

const settings = JSON.parse(process.env.BENCH_AWS_DISPATCHER ?? "{}") as DispatcherSettings;
const runTasks: RecordedRunTask[] = [];
const registrations: DispatcherResult["registrations"] = [];
const invocations: Invocation[] = [];
const errors: string[] = [];
const prefectTrips: PrefectTrip[] = [];
let stopping = false;

// Every Prefect API request of the handlers, timed (the SDK clients do not use fetch).
const realFetch = globalThis.fetch;
const apiBase = process.env.PREFECT_API_URL ?? "";
globalThis.fetch = async (input, init) => {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const start = Date.now();
  let status = 0;
  try {
    const res = await realFetch(input, init);
    status = res.status;
    return res;
  } finally {
    if (url.startsWith(apiBase))
      prefectTrips.push({
        method: init?.method ?? (typeof input === "object" && "method" in input ? input.method : "GET"),
        path: url
          .slice(apiBase.length)
          .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}")
          .replace(/\?.*$/, ""),
        start,
        end: Date.now(),
        status,
      });
  }
};
let inflight = 0;

function recording(instance: number, base: EcsApiFactory): EcsApiFactory {
  const wrapped = new WeakMap<EcsApi, EcsApi>();
  return (creds) => {
    const api = base(creds);
    let w = wrapped.get(api);
    if (!w) {
      w = Object.create(api) as EcsApi;
      w.runTask = async (request: RunTaskRequest) => {
        const start = Date.now();
        const flowRunId =
          request.overrides?.containerOverrides
            ?.flatMap((c) => c.environment ?? [])
            .find((e) => e.name === "PREFECT__FLOW_RUN_ID")?.value ?? "";
        let ok = false;
        try {
          const out = await api.runTask(request);
          ok = true;
          return out;
        } finally {
          runTasks.push({ instance, flowRunId, start, end: Date.now(), ok });
        }
      };
      w.registerTaskDefinition = async (spec) => {
        registrations.push({ instance, family: spec.family ?? "", at: Date.now() });
        return await api.registerTaskDefinition(spec);
      };
      wrapped.set(api, w);
    }
    return w;
  };
}

async function receive(sqs: SQSClient, max: number, waitSeconds: number): Promise<Message[]> {
  const out = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: settings.queueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout: settings.visibilityTimeout,
      WaitTimeSeconds: waitSeconds,
      MessageSystemAttributeNames: ["All"],
      MessageAttributeNames: ["All"],
    }),
  );
  return out.Messages ?? [];
}

/** Lambda's batching: a long poll, then more short polls until the batch is full or the window ends. */
async function receiveBatch(sqs: SQSClient): Promise<Message[]> {
  const batch = await receive(sqs, settings.batchSize, 20);
  if (batch.length === 0) return batch;
  const deadline = Date.now() + settings.batchWindowSeconds * 1000;
  while (batch.length < settings.batchSize && Date.now() < deadline && !stopping) {
    const more = await receive(sqs, settings.batchSize - batch.length, 0);
    if (more.length) batch.push(...more);
    else await sleep(Math.min(50, Math.max(0, deadline - Date.now())));
  }
  return batch;
}

async function poller(instance: number): Promise<void> {
  const rt = await createRuntime({
    env: process.env,
    ecsApiFor: recording(instance, ecsApiFactory({ env: process.env })),
  });
  applyVariant(rt.deps.api as unknown as Record<string, unknown>);
  const handler = makeDispatchHandler(async () => rt);
  const sqs = new SQSClient({
    region: settings.region,
    endpoint: settings.motoEndpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  while (!stopping) {
    let messages: Message[];
    try {
      messages = await receiveBatch(sqs);
    } catch (error) {
      if (!stopping) errors.push(`receive: ${String(error)}`);
      await sleep(500);
      continue;
    }
    if (messages.length === 0) continue;
    inflight++;
    const at = Date.now();
    try {
      const records = messages.map((m) => toRecord(m, settings.queueArn, settings.region));
      const response = await handler({ Records: records });
      const failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      invocations.push({ instance, at, ms: Date.now() - at, records: records.length, failed: failed.size });
      const done = records.filter((r) => !failed.has(r.messageId));
      if (done.length)
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: settings.queueUrl,
            Entries: done.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
          }),
        );
    } catch (error) {
      errors.push(`invocation: ${String(error)}`);
    } finally {
      inflight--;
    }
  }
}

/**
 * Experiments only (BENCH_AWS_VARIANT, comma list; unset = the real handler, unchanged), to measure
 * proposals: `nolabels` skips the best-effort labels PATCH; `cache` memoises the deployment, flow
 * and pool reads of an instance for 10 s.
 */
function applyVariant(api: Record<string, unknown>): void {
  const variant = new Set((process.env.BENCH_AWS_VARIANT ?? "").split(",").filter(Boolean));
  if (variant.has("nolabels")) api.updateFlowRunLabels = async () => {};
  if (variant.has("cache"))
    for (const name of ["readDeployment", "readFlow", "readWorkPool"]) {
      const original = (api[name] as (key: string) => Promise<unknown>).bind(api);
      const memo = new Map<string, { at: number; value: Promise<unknown> }>();
      api[name] = (key: string) => {
        const hit = memo.get(key);
        if (hit && Date.now() - hit.at < 10_000) return hit.value;
        const value = original(key);
        memo.set(key, { at: Date.now(), value });
        value.catch(() => memo.delete(key));
        return value;
      };
    }
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

process.on("message", (msg: { type?: string }) => {
  if (msg?.type !== "stop") return;
  stopping = true;
  void (async () => {
    const t0 = Date.now();
    while (inflight > 0 && Date.now() - t0 < 15_000) await sleep(100);
    const result: DispatcherResult = {
      type: "result",
      prefectTrips,
      runTasks,
      registrations,
      invocations,
      errors,
    };
    process.send?.(result, () => process.exit(0));
  })();
});

for (let i = 0; i < settings.pollers; i++)
  void poller(i).catch((error: unknown) => {
    errors.push(`poller ${i}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  });
process.send?.({ type: "ready" });
