/**
 * @module
 * A fault-injecting HTTP proxy for reliability tests: a node:http server on 127.0.0.1 that forwards
 * each request to an upstream base URL (a real Prefect server, moto…) and, at configured rates,
 * answers in the ways real networks and servers fail:
 *
 * | kind             | reaches upstream | what the caller sees                                         |
 * |------------------|------------------|--------------------------------------------------------------|
 * | `status500/502/503` | no            | that status with a JSON `detail`                             |
 * | `status429`      | no               | 429 with `Retry-After: retryAfterSeconds`                    |
 * | `reset`          | no               | the connection destroyed before any response                 |
 * | `truncate`       | yes              | the upstream's headers and half its body, then a reset       |
 * | `latency`        | yes, late        | nothing for `latencyMs` (beyond the client's timeout), then the answer; the upstream applies it late even when the caller gave up |
 * | `lostAfterApply` | yes              | a reset after the upstream answered: it happened, the caller never heard |
 *
 * Decisions come from a seeded PRNG, stratified ({@link stratified}), one stream per route (method
 * + path with ids replaced by `:id`), so the k-th request of a route gets the same fault in every
 * run with the same seed: a run can be replayed from its seed even when routes interleave
 * differently.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo, Socket } from "node:net";

export const FAULT_KINDS = [
  "status500",
  "status502",
  "status503",
  "status429",
  "reset",
  "truncate",
  "latency",
  "lostAfterApply",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type FaultRates = Partial<Record<FaultKind, number>>;

/** Requests matching `method` (any of) and `path` (regex on the path without query) get `rates`. */
export interface FaultRule {
  method?: string | readonly string[];
  path?: RegExp | string;
  rates: FaultRates;
}

export interface FaultProxyOptions {
  /** Base URL the proxy's paths are appended to, e.g. `http://127.0.0.1:4200/api`. */
  upstream: string;
  seed: number;
  /** Rates for requests no rule matches (default: no faults). Each in [0, 1], summing to ≤ 1. */
  rates?: FaultRates;
  /** First matching rule wins over `rates`. */
  rules?: readonly FaultRule[];
  /** Delay of a `latency` fault (default 2 500 ms). */
  latencyMs?: number;
  /** `Retry-After` of a `status429` fault, in seconds (default 1). */
  retryAfterSeconds?: number;
  port?: number;
}

/** One request as the proxy handled it (`fault: null` = passed through). */
export interface ProxyEvent {
  seq: number;
  method: string;
  route: string;
  /** The path as requested (ids included, no query). */
  path: string;
  /** Milliseconds since the proxy started. */
  at: number;
  fault: FaultKind | null;
}

export interface FaultProxy {
  /** Use in place of the upstream base URL. */
  readonly url: string;
  readonly seed: number;
  /** Injected faults by kind, plus `passed` (forwarded untouched). */
  readonly counters: Record<FaultKind | "passed", number>;
  /** Requests per route (`POST /flow_runs/:id/set_state`). */
  readonly byRoute: Map<string, number>;
  /** Requests the upstream received (passed, truncate, latency, lostAfterApply). */
  readonly upstreamRequests: number;
  /** Every request in arrival order. */
  readonly events: readonly ProxyEvent[];
  /** Total requests and faulted ones. */
  stats(): { requests: number; faulted: number };
  /** Turns injection off (pass everything) or back on; the PRNG streams are not advanced while off. */
  setEnabled(enabled: boolean): void;
  stop(): Promise<void>;
}

/** mulberry32: small, fast, good enough for fault schedules. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Draws in [0, 1) from `random`, stratified by blocks: each block of `size` draws holds one value
 * from each of [i/size, (i+1)/size), in random order. Each draw is still uniform, so a fault keeps
 * its rate, but its count over any run of requests stays close to rate × requests: a plain stream's
 * can fall far below it on a short run (the CI-size soak's 81 ECS calls got 6 %), and the soak's
 * "the chaos was real" checks then failed by chance.
 */
export function stratified(random: () => number, size = 10): () => number {
  if (!(Number.isInteger(size) && size >= 1)) throw new Error(`stratified: bad block size ${size}`);
  let block: number[] = [];
  return () => {
    if (block.length === 0) {
      block = Array.from({ length: size }, (_, i) => (i + random()) / size);
      for (let i = size - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [block[i], block[j]] = [block[j] as number, block[i] as number];
      }
    }
    return block.pop() as number;
  };
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|(?<=\/)\d+(?=\/|$)/gi;

/** `POST /flow_runs/:id/set_state` for `POST /flow_runs/<uuid>/set_state?x=1`. */
export function routeOf(method: string, url: string): string {
  const path = url.split("?")[0] ?? "";
  return `${method.toUpperCase()} ${path.replace(ID, ":id")}`;
}

/** Picks a fault for a draw `u` in [0, 1) from cumulative rates, in FAULT_KINDS order. */
export function pickFault(rates: FaultRates, u: number): FaultKind | null {
  let acc = 0;
  for (const kind of FAULT_KINDS) {
    acc += rates[kind] ?? 0;
    if (u < acc) return kind;
  }
  return null;
}

function checkRates(rates: FaultRates, where: string): void {
  let sum = 0;
  for (const [kind, rate] of Object.entries(rates)) {
    if (!(FAULT_KINDS as readonly string[]).includes(kind))
      throw new Error(`${where}: unknown fault '${kind}'`);
    if (typeof rate !== "number" || !(rate >= 0 && rate <= 1))
      throw new Error(`${where}: bad rate for ${kind}`);
    sum += rate;
  }
  if (sum > 1 + 1e-9) throw new Error(`${where}: rates sum to ${sum} > 1`);
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method !== undefined) {
    const methods = typeof rule.method === "string" ? [rule.method] : rule.method;
    if (!methods.some((m) => m.toUpperCase() === method)) return false;
  }
  if (rule.path === undefined) return true;
  return typeof rule.path === "string" ? path === rule.path : rule.path.test(path);
}

interface Upstream {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const HOP_BY_HOP = ["host", "connection", "keep-alive", "transfer-encoding", "content-length"];

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const base = new URL(options.upstream);
  const basePath = base.pathname.replace(/\/+$/, "");
  const rates = options.rates ?? {};
  checkRates(rates, "rates");
  for (const [i, rule] of (options.rules ?? []).entries()) checkRates(rule.rates, `rules[${i}]`);
  const latencyMs = options.latencyMs ?? 2_500;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const counters = Object.fromEntries([...FAULT_KINDS, "passed"].map((k) => [k, 0])) as Record<
    FaultKind | "passed",
    number
  >;
  const byRoute = new Map<string, number>();
  const streams = new Map<string, () => number>();
  const events: ProxyEvent[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let upstreamRequests = 0;
  const t0 = performance.now();
  let enabled = true;

  const decide = (method: string, path: string, route: string): FaultKind | null => {
    if (!enabled) return null;
    const rule = options.rules?.find((r) => matches(r, method, path));
    const chosen = rule ? rule.rates : rates;
    let next = streams.get(route);
    if (!next) {
      next = stratified(mulberry32(options.seed ^ fnv1a(route)));
      streams.set(route, next);
    }
    return pickFault(chosen, next());
  };

  const forward = (req: IncomingMessage, body: Buffer): Promise<Upstream> => {
    upstreamRequests++;
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    headers["content-length"] = String(body.length);
    const send = base.protocol === "https:" ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const out = send(
        {
          protocol: base.protocol,
          hostname: base.hostname,
          port: base.port,
          method: req.method,
          path: basePath + (req.url ?? "/"),
          headers: { ...headers, host: base.host },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }),
          );
          res.on("error", reject);
        },
      );
      out.on("error", reject);
      out.end(body);
    });
  };

  const reply = (res: ServerResponse, up: Upstream, cut = false) => {
    const headers = { ...up.headers };
    for (const h of HOP_BY_HOP) delete headers[h];
    res.writeHead(up.status, { ...headers, "content-length": String(up.body.length) });
    if (!cut) {
      res.end(up.body);
      return;
    }
    res.write(up.body.subarray(0, Math.floor(up.body.length / 2)), () => res.socket?.destroy());
  };

  const sendStatus = (res: ServerResponse, status: number, extra: Record<string, string> = {}) => {
    const body = JSON.stringify({ detail: `injected ${status} by faultProxy` });
    res.writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      ...extra,
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? "GET").toUpperCase();
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routeOf(method, req.url ?? "/");
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    byRoute.set(route, (byRoute.get(route) ?? 0) + 1);
    const fault = decide(method, path, route);
    events.push({ seq: events.length, method, route, path, at: Math.round(performance.now() - t0), fault });
    counters[fault ?? "passed"]++;
    switch (fault) {
      case "status500":
      case "status502":
      case "status503":
        return sendStatus(res, Number(fault.slice(6)));
      case "status429":
        return sendStatus(res, 429, { "retry-after": String(retryAfter) });
      case "reset":
        return void req.socket.destroy();
      case "truncate":
        return reply(res, await forward(req, body), true);
      case "lostAfterApply":
        await forward(req, body);
        return void req.socket.destroy();
      case "latency":
        await new Promise<void>((r) => {
          const t = setTimeout(() => {
            timers.delete(t);
            r();
          }, latencyMs);
          timers.add(t);
        });
        break;
      case null:
        break;
    }
    const up = await forward(req, body);
    if (!res.destroyed && !req.socket.destroyed) reply(res, up);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed)
        sendStatus(res, 502, { "x-fault-proxy-error": String((error as Error).message).slice(0, 200) });
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    seed: options.seed,
    counters,
    byRoute,
    get upstreamRequests() {
      return upstreamRequests;
    },
    events,
    stats() {
      return { requests: events.length, faulted: events.filter((e) => e.fault !== null).length };
    },
    setEnabled(on: boolean) {
      enabled = on;
    },
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
