/**
 * @module
 * The pushpool side of `npm run bench:aws`: the function. This Node process runs the REAL
 * dispatch handler (functions/aws/dispatch.ts, `makeDispatchHandler`) as `pollers` emulated Lambda
 * instances, each with its own runtime (`createRuntime`: its own Prefect client, SDK clients and
 * task-definition registry, as separate instances would); the records of a batch are processed
 * concurrently by Powertools' BatchProcessor, as in Lambda. It forks Lambda's SQS event source
 * (bench/awsEventSource.ts: pollers, batching, deletes) as a child process, so the bench can read
 * the function's CPU from /proc apart from the event source's (AWS runs and pays for the latter).
 *
 * Started by bench/aws.bench.ts (bundled by esbuild as for Lambda: bench/awsHarness.ts) with an IPC channel; settings in the
 * BENCH_AWS_DISPATCHER environment variable (JSON, {@link DispatcherSettings}); the handlers'
 * environment (PREFECT_API_URL, PUSHPOOL_*, AWS_ENDPOINT_URL = the recording proxy) is its own.
 * Sends `{type: "ready", eventSourcePid}`, and on `{type: "stop"}` answers `{type: "result", ...}`
 * and exits.
 * Every RunTask / RegisterTaskDefinition call is recorded in-process too (a wrapped EcsApi
 * factory), as a cross-check of the proxy's timing.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { EcsApi, EcsApiFactory, RunTaskRequest } from "../core/backends/ecs/port.ts";
import type { RequestInfo } from "../core/prefect/http.ts";
import { makeDispatchHandler } from "../functions/aws/dispatch.ts";
import { ecsApiFactory } from "../functions/aws/ecsApi.ts";
import { createRuntime } from "../functions/aws/wiring.ts";
import type { InvokedMessage, InvokeMessage } from "./awsEventSource.ts";
import { keyDispatches } from "./roundTrips.ts";

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

/** One Prefect API request made by the handlers (the client's onRequest): path with ids as `{id}`. */
export interface PrefectTrip {
  method: string;
  path: string;
  /** The path as sent (ids kept, query dropped). */
  rawPath: string;
  /** Epoch ms, sub-millisecond (performance.timeOrigin + performance.now()): attempt start, end. */
  start: number;
  end: number;
  status: number;
  /** `<flow run id>#<n>`: the dispatch (its `readFlowRun`) the request descends from, if any. */
  key?: string;
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
let stopping = false;

// BENCH_AWS_TRACE=1: each dispatch's requests carry a key, as in bench/roundTrips.ts: the start of
// every dispatch (`prepareWrites`) enters a fresh context, which the rest of that dispatch's call
// chain inherits. Off by default: AsyncLocalStorage hooks every promise of the process, which
// the CPU profile of a traced run showed as ~17 % of the function's CPU in a dispatch window.
const dispatchContext = new AsyncLocalStorage<string>();

/** A trip as recorded during the windows: only what the request already computed. */
interface RawTrip {
  method: string;
  path: string;
  start: number;
  end: number;
  status: number;
  key: string | undefined;
}
const rawTrips: RawTrip[] = [];

// Every Prefect API round trip of the handlers (the client's onRequest). Kept raw: the paths are
// normalised once, when the result is sent, so the bench's own bookkeeping is not counted as the
// function's CPU in the dispatch windows (a profile showed it at ~1 % of them).
function recordTrip(info: RequestInfo): void {
  rawTrips.push({
    method: info.method,
    path: info.path,
    start: info.start,
    end: performance.now(),
    status: info.status,
    key: dispatchContext.getStore(),
  });
}

/** The recorded trips with path ids as `{id}`, query dropped, times as epoch ms. */
function prefectTrips(): PrefectTrip[] {
  const origin = performance.timeOrigin;
  return rawTrips.map((t) => {
    const rawPath = t.path.replace(/\?.*$/, "");
    return {
      method: t.method,
      path: rawPath.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "{id}"),
      rawPath,
      start: origin + t.start,
      end: origin + t.end,
      status: t.status,
      key: t.key === undefined || !runOfKey.has(t.key) ? undefined : `${runOfKey.get(t.key)}#${t.key}`,
    };
  });
}

/** Dispatch key (`<instance>.<n>`) → flow run id, for every traced instance (BENCH_AWS_TRACE=1). */
const runOfKey = new Map<string, string>();
function traceDispatches(api: Record<string, unknown>, instance: number): void {
  keyDispatches(api, dispatchContext, runOfKey, String(instance));
}
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

interface Instance {
  handler: ReturnType<typeof makeDispatchHandler>;
}

const instances = new Map<number, Promise<Instance>>();

/** One emulated Lambda instance: its own runtime (Prefect client, SDK clients, registry). */
function instanceOf(instance: number): Promise<Instance> {
  let made = instances.get(instance);
  if (!made) {
    made = (async () => {
      const rt = await createRuntime({
        env: process.env,
        ecsApiFor: recording(instance, ecsApiFactory({ env: process.env })),
        onPrefectRequest: recordTrip,
      });
      if (process.env.BENCH_AWS_TRACE === "1")
        traceDispatches(rt.deps.api as unknown as Record<string, unknown>, instance);
      applyVariant(rt.deps.api as unknown as Record<string, unknown>);
      return { handler: makeDispatchHandler(async () => rt) };
    })();
    instances.set(instance, made);
  }
  return made;
}

async function invoke(message: InvokeMessage): Promise<string[]> {
  inflight++;
  const at = Date.now();
  try {
    const { handler } = await instanceOf(message.instance);
    const response = await handler({ Records: message.records });
    const failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
    invocations.push({
      instance: message.instance,
      at,
      ms: Date.now() - at,
      records: message.records.length,
      failed: failed.length,
    });
    return failed;
  } catch (error) {
    errors.push(`invocation: ${String(error)}`);
    return message.records.map((r) => r.messageId);
  } finally {
    inflight--;
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

// Every instance ready before the event source starts polling (Lambda's init is not in a window).
await Promise.all(Array.from({ length: settings.pollers }, (_, i) => instanceOf(i)));

// The event source (bench/awsEventSource.ts) in its own process: its CPU is not the function's.
const source = fork(
  process.env.BENCH_AWS_EVENT_SOURCE ?? fileURLToPath(new URL("./awsEventSource.ts", import.meta.url)),
  [],
  {
    execArgv: ["--import", "tsx"],
    env: process.env,
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  },
);
source.on("message", (msg: { type?: string } & Partial<InvokeMessage>) => {
  if (msg?.type === "invoke")
    void invoke(msg as InvokeMessage).then((failed) =>
      source.send({ type: "invoked", id: msg.id ?? -1, failed } satisfies InvokedMessage),
    );
  else if (msg?.type === "ready") process.send?.({ type: "ready", eventSourcePid: source.pid });
});
source.on("exit", (code) => {
  if (!stopping) errors.push(`the event source exited (${code})`);
});

process.on("message", (msg: { type?: string }) => {
  if (msg?.type !== "stop") return;
  stopping = true;
  void (async () => {
    const sourceErrors = await new Promise<string[]>((resolve) => {
      const timer = setTimeout(() => resolve(["the event source did not stop"]), 20_000);
      source.on("message", (m: { type?: string; errors?: string[] }) => {
        if (m?.type !== "stopped") return;
        clearTimeout(timer);
        resolve(m.errors ?? []);
      });
      source.send({ type: "stop" });
    });
    const t0 = Date.now();
    while (inflight > 0 && Date.now() - t0 < 15_000) await sleep(100);
    const result: DispatcherResult = {
      type: "result",
      prefectTrips: prefectTrips(),
      runTasks,
      registrations,
      invocations,
      errors: [...errors, ...sourceErrors.map((e) => `event source: ${e}`)],
    };
    process.send?.(result, () => process.exit(0));
  })();
});
