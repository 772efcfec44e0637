/**
 * @module
 * The HTTP layer under {@link import("./client.ts").PrefectClient}: auth headers, CSRF, timeouts,
 * retries with backoff and `Retry-After`, error bodies turned into {@link PrefectApiError}, and
 * every response body parsed with `parseJson` (so Python floats survive). Secrets never reach an
 * error message or a log line.
 */
import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../ports/clock.ts";
import { type Logger, silentLogger } from "../ports/logger.ts";
import { errorCode, PrefectApiError, TransientError } from "../shared/errors.ts";
import { backoffDelay, retry } from "../shared/retry.ts";
import { parseJson } from "../template/pyFloat.ts";
import { CSRF_TOKEN_HEADER, CsrfTokens } from "./csrf.ts";
import { errorDetail } from "./errorDetail.ts";
import { stringifyJson } from "./json.ts";
import { type HttpFetch, type HttpFetchResponse, nodeFetch } from "./nodeFetch.ts";
import { RETRYABLE_STATUSES, retryAfterSeconds } from "./retry.ts";
import type { Json } from "./types.ts";
import { DEFAULT_USER_AGENT, PREFECT_API_VERSION } from "./version.ts";

/** One HTTP round trip, reported to `onRequest` (status 0: no response, network error or timeout). */
export interface RequestInfo {
  method: string;
  path: string;
  status: number;
  ms: number;
  /** `performance.now()` when the attempt started (`ms` is rounded; benchmarks order requests by this). */
  start: number;
}

/** Options of {@link PrefectHttp} (and of `PrefectClient`). */
export interface PrefectHttpOptions {
  /** API base URL, e.g. `http://127.0.0.1:4200/api` or a Cloud workspace URL. */
  apiUrl: string;
  /** Prefect Cloud API key: `Authorization: Bearer …`. */
  apiKey?: string;
  /** Self-hosted `user:pass`: `Authorization: Basic …`. Wins over `apiKey` when both are set. */
  authString?: string;
  /** The transport (default {@link nodeFetch}: node:http with keep-alive; the global `fetch` also fits). */
  fetch?: HttpFetch;
  clock?: Clock;
  /** Jitter source in [0, 1). */
  random?: () => number;
  /** Per-attempt timeout (default 30 000 ms). */
  timeoutMs?: number;
  /** Retries after the first attempt (default 5). */
  maxRetries?: number;
  /** Backoff base and cap in ms (defaults 500 and 15 000). */
  backoff?: { base?: number; cap?: number };
  /** A `Retry-After` longer than this is not slept through: the call fails with a TransientError. */
  maxRetryAfterMs?: number;
  userAgent?: string;
  logger?: Logger;
  onRequest?: (info: RequestInfo) => void;
}

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /** Non-2xx statuses returned to the caller instead of thrown (e.g. `[404]`). */
  accept?: readonly number[];
  /** Retries for this call (default: the client's `maxRetries`); 0 for best-effort writes. */
  maxRetries?: number;
  /** A cosmetic call (heartbeat, labels): its retries are logged at debug, not warn. */
  cosmetic?: boolean;
}

/** A response: its status and its parsed JSON body (`undefined` when empty). */
export interface HttpResult {
  status: number;
  body: Json | undefined;
}

const MUTATING: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"]);
/** Connection failures that fail fast until the client has reached the server once (as Prefect's). */
const CONNECT_CODES: ReadonlySet<string> = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN"]);

/** JSON-over-HTTP transport for the Prefect REST API. */
export class PrefectHttp {
  private readonly base: string;
  private readonly fetchFn: HttpFetch;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly backoff: { base: number; cap: number };
  private readonly maxRetryAfterMs: number;
  private readonly logger: Logger;
  private readonly onRequest: ((info: RequestInfo) => void) | undefined;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly csrf: CsrfTokens;
  private connected = false;

  constructor(options: PrefectHttpOptions) {
    this.base = options.apiUrl.replace(/\/+$/, "");
    this.fetchFn = options.fetch ?? nodeFetch;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxRetries = options.maxRetries ?? 5;
    this.backoff = { base: options.backoff?.base ?? 500, cap: options.backoff?.cap ?? 15_000 };
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.logger = options.logger ?? silentLogger;
    this.onRequest = options.onRequest;
    this.headers = {
      Accept: "application/json",
      // Responses are small JSON: inflating each one costs a dispatch more CPU than the bytes cost.
      "Accept-Encoding": "identity",
      "X-PREFECT-API-VERSION": PREFECT_API_VERSION,
      "User-Agent": options.userAgent ?? DEFAULT_USER_AGENT,
    };
    this.secrets = [];
    if (options.authString) {
      const token = Buffer.from(options.authString, "utf8").toString("base64");
      this.headers.Authorization = `Basic ${token}`;
      const password = options.authString.slice(options.authString.indexOf(":") + 1);
      this.secrets.push(options.authString, token, ...(password.length >= 4 ? [password] : []));
    } else if (options.apiKey) {
      this.headers.Authorization = `Bearer ${options.apiKey}`;
    }
    if (options.apiKey) this.secrets.push(options.apiKey);
    this.csrf = new CsrfTokens(
      randomUUID(),
      (client) => this.request("GET", "/csrf-token", { query: { client }, accept: [404, 422] }),
      () => this.clock.now(),
    );
  }

  /** Starts fetching a CSRF token in the background if writes will need one (see CsrfTokens.prefetch). */
  prepareWrites(): void {
    this.csrf.prefetch();
  }

  /**
   * Sends one logical request, retrying 408/429/502/503 and network errors. Returns 2xx responses
   * (and statuses listed in `accept`); throws {@link PrefectApiError} for other statuses and
   * {@link TransientError} once retries are exhausted.
   */
  async request(method: HttpMethod, path: string, options: RequestOptions = {}): Promise<HttpResult> {
    const url = this.base + path + queryString(options.query);
    const body = options.body === undefined ? undefined : stringifyJson(options.body);
    const mutating = MUTATING.has(method);
    let csrfRetried = false;
    let attempts = 0;
    const once = async (): Promise<HttpResult> => {
      attempts++;
      for (;;) {
        const headers: Record<string, string> = { ...this.headers };
        if (body !== undefined) headers["Content-Type"] = "application/json";
        if (mutating) Object.assign(headers, await this.csrf.headers());
        const started = performance.now();
        let status = 0;
        let text = "";
        let response: HttpFetchResponse | undefined;
        try {
          response = await this.fetchFn(url, {
            method,
            headers,
            body,
            // The default transport times out with a timer; any other fetch gets a signal.
            ...(this.fetchFn === nodeFetch
              ? { timeoutMs: this.timeoutMs }
              : { signal: AbortSignal.timeout(this.timeoutMs) }),
          });
          status = response.status;
          text = await response.text();
        } catch (error) {
          this.report(method, path, status, started);
          const what = this.redact(describeNetworkError(error));
          const failFast = !this.connected && response === undefined && CONNECT_CODES.has(errorCode(error));
          throw new NetworkFailure(`Prefect API ${method} ${path}: ${what}`, failFast, error);
        }
        this.connected = true;
        this.report(method, path, status, started);
        if ((status >= 200 && status < 300) || options.accept?.includes(status)) {
          return { status, body: this.parse(method, path, status, text) };
        }
        const detail = this.redact(errorDetail(text, response.statusText));
        if (status === 403 && mutating && !csrfRetried && /csrf/i.test(detail)) {
          csrfRetried = true; // a stale CSRF token: fetch a new one and send again, once
          this.csrf.invalidate(headers[CSRF_TOKEN_HEADER]);
          continue;
        }
        const error = new PrefectApiError(status, method, path, detail);
        if (!RETRYABLE_STATUSES.has(status)) throw error;
        throw new StatusFailure(
          error,
          retryAfterSeconds(response.headers.get("retry-after"), this.clock.now()),
        );
      }
    };
    try {
      return await retry(once, {
        attempts: (options.maxRetries ?? this.maxRetries) + 1,
        retryable: (e) =>
          (e instanceof NetworkFailure && !e.failFast) ||
          (e instanceof StatusFailure && !(e.after !== undefined && e.after * 1000 > this.maxRetryAfterMs)),
        delayMs: (n, e) =>
          e instanceof StatusFailure && e.after !== undefined
            ? Math.ceil(e.after * 1000 * (1 + 0.2 * this.random()))
            : this.delay(n - 1),
        sleep: (ms) => this.clock.sleep(ms),
        onRetry: (e, n, delayMs) =>
          this.logger[options.cosmetic ? "debug" : "warn"]("Prefect API request failed, retrying", {
            method,
            path,
            ...(e instanceof StatusFailure ? { status: e.cause.status } : { error: (e as Error).message }),
            attempt: n,
            delayMs,
          }),
      });
    } catch (error) {
      throw settle(error, attempts);
    }
  }

  /**
   * Exponential backoff with "equal jitter": between half and all of `base·2^retries` (capped). A
   * refused connection or a 503 waits as Prefect's client waits (2^n s, jittered), never ~0 ms
   * (full jitter let a refused connection's retries all land within a few ms).
   */
  private delay(retries: number): number {
    const step = Math.min(this.backoff.cap, this.backoff.base * 2 ** Math.max(0, retries));
    return Math.floor(step / 2 + backoffDelay(retries, { ...this.backoff, random: this.random }) / 2);
  }

  private report(method: string, path: string, status: number, started: number): void {
    const ms = Math.round(performance.now() - started);
    this.logger.debug("Prefect API request", { method, path, status, ms });
    this.onRequest?.({ method, path, status, ms, start: started });
  }

  private parse(method: string, path: string, status: number, text: string): Json | undefined {
    if (text.trim() === "") return undefined;
    try {
      return parseJson(text);
    } catch {
      throw new PrefectApiError(status, method, path, "the response body is not valid JSON");
    }
  }

  private redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) out = out.split(secret).join("***");
    return out;
  }
}

function queryString(query: RequestOptions["query"]): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError")) {
    return `request timed out (${error.message})`;
  }
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: unknown } | null)?.cause;
  const causeText = cause instanceof Error && cause.message !== message ? `: ${cause.message}` : "";
  return `network error${code ? ` ${code}` : ""}: ${message}${causeText}`;
}

/** A request that got no answer (reset, refused, timed out). Retried unless the server was never reached. */
class NetworkFailure extends Error {
  constructor(
    message: string,
    readonly failFast: boolean,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/** A retryable status (408/429/502/503), with the server's `Retry-After` in seconds if it sent one. */
class StatusFailure extends Error {
  constructor(
    override readonly cause: PrefectApiError,
    readonly after: number | undefined,
  ) {
    super(cause.message, { cause });
  }
}

/** The error a caller sees once retrying stops: a TransientError (or the server's own 4xx/5xx). */
function settle(error: unknown, attempts: number): unknown {
  if (error instanceof NetworkFailure)
    return new TransientError(error.message, undefined, { cause: error.cause });
  if (error instanceof StatusFailure)
    return new TransientError(`${error.cause.message} (gave up after ${attempts} attempt(s))`, error.after, {
      cause: error.cause,
    });
  return error;
}
