/**
 * @module
 * The Prefect client's default transport: one request over `node:http` / `node:https` with
 * keep-alive agents. It does only what {@link HttpFetch} needs — method, headers, a string body, an
 * abort signal or a timeout; status, headers and the whole body as text — and costs a dispatch a fraction of
 * the CPU of the global `fetch` (WHATWG streams and Headers per request), which the AWS bench
 * measured as the largest share of a dispatch's CPU. Any `fetch` can still be injected instead.
 *
 * Two connection rules keep a pooled connection from failing the next request:
 * - A 5xx response's connection is not reused. Prefect's server answers a retryable exception
 *   (SQLite's "database is locked") with a 503, then uvicorn closes the connection without a
 *   `Connection: close` header, so the next request sent on it always failed with ECONNRESET.
 *   In `npm run bench:aws` that lost a third of the run-log POSTs (sent right after a 503'd labels
 *   PATCH, never retried) and cost the retried calls an attempt and its back-off.
 * - A request that fails with ECONNRESET on a reused connection before any response is sent once
 *   more on a new one (Node's documented `reusedSocket` check): the server closed an idle
 *   keep-alive connection (uvicorn: after 5 s) as the request left, so it never read it.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { errorCode } from "../shared/errors.ts";

/** The part of `fetch` the Prefect client uses (the global `fetch` satisfies it). */
export type HttpFetch = (url: string, init: HttpFetchInit) => Promise<HttpFetchResponse>;

export interface HttpFetchInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /**
   * {@link nodeFetch} only: fail with a `TimeoutError` when the whole exchange (headers and body,
   * and the resend when a pooled connection turned out closed) takes longer. One timer, where an
   * `AbortSignal.timeout` costs a signal, its listeners and its weak tracking per request (3 % of a
   * dispatch's CPU in the AWS bench's profile).
   */
  timeoutMs?: number;
}

export interface HttpFetchResponse {
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

// Keep-alive: a burst of dispatches in one warm instance reuses its connections.
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
};

export const nodeFetch: HttpFetch = async (url, init) => {
  const started = performance.now();
  try {
    return await send(url, init, init.timeoutMs);
  } catch (error) {
    if (!(error instanceof StaleConnection)) throw error;
    // `timeoutMs` bounds the whole exchange: the resend gets what is left of it, not a fresh one.
    const left =
      init.timeoutMs === undefined ? undefined : Math.max(0, init.timeoutMs - (performance.now() - started));
    return await send(url, init, left).catch((again: unknown) => {
      throw again instanceof StaleConnection ? again.cause : again;
    });
  }
};

/** A request that a pooled connection's server-side close failed before it was read. */
class StaleConnection extends Error {}

/** One request; `timerMs`: what is left of `init.timeoutMs` (the error names the latter). */
function send(url: string, init: HttpFetchInit, timerMs: number | undefined): Promise<HttpFetchResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === "https:";
    const headers: Record<string, string> = { ...init.headers };
    if (init.body !== undefined) headers["Content-Length"] = String(Buffer.byteLength(init.body));
    const req = (https ? httpsRequest : httpRequest)(target, {
      method: init.method,
      headers,
      agent: https ? agents.https : agents.http,
      signal: init.signal,
    });
    let responded = false;
    let expired: Error | undefined;
    const timer =
      timerMs === undefined
        ? undefined
        : setTimeout(() => {
            expired = timeoutError(init.timeoutMs ?? 0);
            req.destroy(expired);
          }, timerMs).unref();
    req.on("error", (error) => {
      clearTimeout(timer);
      if (expired) return reject(expired);
      if (init.signal?.aborted) return reject(abortError(init.signal));
      const stale = !responded && req.reusedSocket && errorCode(error) === "ECONNRESET";
      reject(stale ? new StaleConnection(error.message, { cause: error }) : error);
    });
    req.on("response", (res) => {
      responded = true;
      const status = res.statusCode ?? 0;
      const socket = res.socket;
      const chunks: Buffer[] = [];
      const body = new Promise<string>((ok, ko) => {
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          // The server may close it right after this response (see the module's note): not reused.
          if (status >= 500) socket?.destroy();
          try {
            ok(decode(res, Buffer.concat(chunks)));
          } catch (error) {
            ko(error);
          }
        });
        res.on("error", (error) => {
          clearTimeout(timer);
          ko(expired ?? (init.signal?.aborted ? abortError(init.signal) : error));
        });
        res.on("aborted", () => {
          clearTimeout(timer);
          ko(expired ?? Object.assign(new Error("response aborted mid-body"), { code: "ECONNRESET" }));
        });
      });
      body.catch(() => undefined); // observed by text(); never an unhandled rejection
      resolve({
        status,
        statusText: res.statusMessage ?? "",
        headers: { get: (name) => headerValue(res, name) },
        text: () => body,
      });
    });
    req.end(init.body);
  });
}

function headerValue(res: IncomingMessage, name: string): string | null {
  const value = res.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The client asks for `identity`; a proxy may compress anyway. */
function decode(res: IncomingMessage, raw: Buffer): string {
  const encoding = (res.headers["content-encoding"] ?? "identity").toLowerCase();
  if (encoding === "gzip" || encoding === "x-gzip") return gunzipSync(raw).toString("utf8");
  if (encoding === "deflate") return inflateSync(raw).toString("utf8");
  if (encoding === "br") return brotliDecompressSync(raw).toString("utf8");
  return raw.toString("utf8");
}

/** As `AbortSignal.timeout` reports it (a DOMException named TimeoutError). */
function timeoutError(ms: number): Error {
  return Object.assign(new Error(`The operation was aborted due to timeout (${ms} ms)`), {
    name: "TimeoutError",
  });
}

/** As `fetch` reports an aborted request: the signal's reason (a TimeoutError for `AbortSignal.timeout`). */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error
    ? reason
    : Object.assign(new Error("request aborted"), { name: "AbortError" });
}
