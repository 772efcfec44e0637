/**
 * The Prefect client's default transport against a local HTTP server: what the client relies on
 * (status, headers, body, a UTF-8 request body, keep-alive) and how failures surface (timeouts as
 * the signal's TimeoutError, a body cut short as a network error, a refused connection's code).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrefectHttp } from "../../../core/prefect/http.ts";
import { nodeFetch } from "../../../core/prefect/nodeFetch.ts";
import { TransientError } from "../../../core/shared/errors.ts";

let server: Server;
let base: string;
const sockets = new Set<string>();
/** Requests handled per path, and the client port of each path's last request. */
const requests = new Map<string, number>();
const portOf = new Map<string, number>();
/** Set: the next request that arrives on an already used connection is dropped with it. */
let closeNextOnArrival = false;
let closedOnArrival = 0;
/** Set: the next request that arrives on an already used connection is dropped with it this late. */
let closeNextLateMs: number | null = null;
const seenSockets = new WeakSet<Socket>();

const routes: Record<string, (req: IncomingMessage, body: string, res: ServerResponse) => void> = {
  "/echo": (req, body, res) => {
    res.setHeader("Content-Type", "application/json");
    res.setHeader("Retry-After", "3");
    res.end(
      JSON.stringify({
        method: req.method,
        body,
        length: req.headers["content-length"],
        auth: req.headers.authorization,
      }),
    );
  },
  "/gzip": (_req, _body, res) => {
    res.setHeader("Content-Encoding", "gzip");
    res.end(gzipSync(Buffer.from('{"é":1.0}')));
  },
  "/status": (_req, _body, res) => {
    res.statusCode = 503;
    res.statusMessage = "Service Unavailable";
    res.end('{"detail":"busy"}');
  },
  // As uvicorn does after Prefect's handler of a retryable exception answered 503: the response
  // carries no `Connection: close`, then the server closes the connection.
  "/busy-then-close": (req, _body, res) => {
    res.statusCode = 503;
    res.end('{"exception_message":"Service Unavailable"}', () => req.socket.destroy());
  },
  "/cut": (_req, _body, res) => {
    res.setHeader("Content-Length", "100");
    res.write('{"partial":');
    setTimeout(() => res.socket?.destroy(), 20);
  },
  "/answer-late": (_req, _body, res) => {
    setTimeout(() => res.end("{}"), 400);
  },
  "/slow": (_req, _body, res) => {
    setTimeout(() => res.end("{}"), 2_000);
  },
  "/stall-body": (_req, _body, res) => {
    res.setHeader("Content-Length", "100");
    res.write('{"partial":');
    setTimeout(() => res.end(), 2_000);
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    if (closeNextOnArrival && seenSockets.has(req.socket)) {
      closeNextOnArrival = false;
      closedOnArrival++;
      req.socket.destroy();
      return;
    }
    if (closeNextLateMs !== null && seenSockets.has(req.socket)) {
      setTimeout(() => req.socket.destroy(), closeNextLateMs);
      closeNextLateMs = null;
      closedOnArrival++;
      return;
    }
    seenSockets.add(req.socket);
    requests.set(req.url ?? "", (requests.get(req.url ?? "") ?? 0) + 1);
    sockets.add(`${req.socket.remotePort}`);
    portOf.set(req.url ?? "", req.socket.remotePort ?? 0);
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      body += c;
    });
    req.on("end", () => routes[req.url ?? ""]?.(req, body, res));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

describe("nodeFetch", () => {
  it("sends method, headers and a UTF-8 body with its byte length; returns status, headers and text", async () => {
    const res = await nodeFetch(`${base}/echo`, {
      method: "PATCH",
      headers: { Authorization: "Bearer k" },
      body: '{"name":"é"}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Retry-After")).toBe("3");
    expect(res.headers.get("x-missing")).toBeNull();
    expect(JSON.parse(await res.text())).toEqual({
      method: "PATCH",
      body: '{"name":"é"}',
      length: "13",
      auth: "Bearer k",
    });
  });

  it("reuses one connection for sequential requests (keep-alive)", async () => {
    sockets.clear();
    for (let i = 0; i < 5; i++)
      await (await nodeFetch(`${base}/echo`, { method: "GET", headers: {} })).text();
    expect(sockets.size).toBe(1);
  });

  it("returns error statuses with their reason phrase and body", async () => {
    const res = await nodeFetch(`${base}/status`, { method: "GET", headers: {} });
    expect([res.status, res.statusText, await res.text()]).toEqual([
      503,
      "Service Unavailable",
      '{"detail":"busy"}',
    ]);
  });

  it("does not reuse a 5xx response's connection", async () => {
    await (await nodeFetch(`${base}/echo`, { method: "GET", headers: {} })).text();
    const busy = await nodeFetch(`${base}/status`, { method: "GET", headers: {} });
    expect(busy.status).toBe(503);
    await busy.text();
    await (await nodeFetch(`${base}/echo`, { method: "GET", headers: {} })).text();
    // Without the rule, the 503's connection (the most recently freed) carries the next request.
    expect(portOf.get("/echo")).not.toBe(portOf.get("/status"));
  });

  it("the request after a uvicorn-style 503 (then a close) is handled once, on the first try", async () => {
    const busy = await nodeFetch(`${base}/busy-then-close`, { method: "PATCH", headers: {}, body: "{}" });
    expect([busy.status, await busy.text()]).toEqual([503, '{"exception_message":"Service Unavailable"}']);
    const before = requests.get("/echo") ?? 0;
    const next = await nodeFetch(`${base}/echo`, { method: "POST", headers: {}, body: "[]" });
    expect(JSON.parse(await next.text())).toMatchObject({ method: "POST", body: "[]" });
    expect((requests.get("/echo") ?? 0) - before).toBe(1);
  });

  it("sends a request once more on a new connection when the pooled one was closed as it left", async () => {
    // A keep-alive connection the server closes while it sits in the pool, raced: the client
    // writes before it sees the close (as uvicorn's 5 s keep-alive timeout can).
    const warm = await nodeFetch(`${base}/echo`, { method: "GET", headers: {} });
    await warm.text();
    const before = requests.get("/echo") ?? 0;
    closeNextOnArrival = true;
    const res = await nodeFetch(`${base}/echo`, { method: "POST", headers: {}, body: "[1]" });
    expect(JSON.parse(await res.text())).toMatchObject({ method: "POST", body: "[1]" });
    // The first send reached the server's socket but was never handled; the second was, once.
    expect((requests.get("/echo") ?? 0) - before).toBe(1);
    expect(closedOnArrival).toBe(1);
  });

  it("gives a resend on a new connection what is left of timeoutMs, not a fresh timeout", async () => {
    // The pooled connection is dropped 400 ms into the exchange; the resend's answer takes 400 ms
    // more: past the exchange's 600 ms, which a fresh timer for the resend would not see.
    const warm = await nodeFetch(`${base}/answer-late`, { method: "GET", headers: {} });
    await warm.text();
    const closedBefore = closedOnArrival;
    closeNextLateMs = 400;
    const error = await nodeFetch(`${base}/answer-late`, {
      method: "GET",
      headers: {},
      timeoutMs: 600,
    }).catch((e: unknown) => e);
    expect(closedOnArrival - closedBefore).toBe(1);
    expect((error as Error).name).toBe("TimeoutError");
    expect((error as Error).message).toContain("600 ms");
  });

  it("decodes a compressed body a proxy sent anyway", async () => {
    const res = await nodeFetch(`${base}/gzip`, { method: "GET", headers: {} });
    expect(await res.text()).toBe('{"é":1.0}');
  });

  it("fails text() when the body is cut short", async () => {
    const res = await nodeFetch(`${base}/cut`, { method: "GET", headers: {} });
    await expect(res.text()).rejects.toThrow();
  });

  it("rejects with the signal's TimeoutError when the server is too slow", async () => {
    const error = await nodeFetch(`${base}/slow`, {
      method: "GET",
      headers: {},
      signal: AbortSignal.timeout(100),
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
  });

  it("rejects with a TimeoutError when the exchange outlasts timeoutMs (no signal)", async () => {
    const error = await nodeFetch(`${base}/slow`, { method: "GET", headers: {}, timeoutMs: 100 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("TimeoutError");
    expect((error as Error).message).toContain("100 ms");
  });

  it("fails text() with a TimeoutError when the body stalls past timeoutMs", async () => {
    const res = await nodeFetch(`${base}/stall-body`, { method: "GET", headers: {}, timeoutMs: 150 });
    expect(res.status).toBe(200);
    const error = await res.text().catch((e: unknown) => e);
    expect((error as Error).name).toBe("TimeoutError");
  });

  it("times out the Prefect client's requests (its default transport, given timeoutMs)", async () => {
    const http = new PrefectHttp({ apiUrl: base, timeoutMs: 100, maxRetries: 0 });
    const error = await http.request("GET", "/slow").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain("request timed out");
  });

  it("does not time out an exchange that ends in time", async () => {
    const res = await nodeFetch(`${base}/echo`, { method: "POST", headers: {}, body: "{}", timeoutMs: 100 });
    await new Promise((ok) => setTimeout(ok, 200));
    expect(JSON.parse(await res.text())).toMatchObject({ method: "POST", body: "{}" });
  });

  it("rejects with the connection error's code when nothing listens", async () => {
    const closed = createServer();
    await new Promise<void>((ok) => closed.listen(0, "127.0.0.1", ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((ok) => closed.close(ok));
    const error = await nodeFetch(`http://127.0.0.1:${port}/`, { method: "GET", headers: {} }).catch(
      (e: unknown) => e,
    );
    expect((error as { code?: string }).code).toBe("ECONNREFUSED");
  });
});
