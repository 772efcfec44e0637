/**
 * An HTTP relay for the soak and the secret-hygiene test, with two optional jobs:
 *
 * - **record**: every request pushpool made (method, path, headers minus `Authorization` and the
 *   SigV4 signing headers, body) goes to `onRequest`, before anything else can fault it;
 * - **RunTask idempotency**: AWS honours RunTask's `clientToken` (a retry with the same token
 *   returns the same task); moto ignores it. Placed between the fault proxy and moto, the relay
 *   gives moto AWS's documented behaviour, so a `lostAfterApply` on RunTask followed by the SDK's
 *   own retry yields the task already started, as on AWS — not a moto-only duplicate.
 */
import { createServer, request as httpRequest, type IncomingMessage } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface RelayOptions {
  upstream: string;
  onRequest?(request: RecordedRequest): void;
  runTaskIdempotency?: boolean;
}

export interface Relay {
  url: string;
  /** RunTask calls answered from the clientToken cache (each would be a second task on moto). */
  readonly replayedRunTasks: number;
  stop(): Promise<void>;
}

/** Headers that carry credentials or request signatures, never recorded. */
const UNRECORDED = /^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256|cookie)$/i;
const HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const base = new URL(options.upstream);
  const basePath = base.pathname.replace(/\/+$/, "");
  const byToken = new Map<string, Promise<Answer>>();
  const sockets = new Set<Socket>();
  let replayed = 0;

  const forward = (req: IncomingMessage, body: Buffer): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string | string[] | undefined> = {};
      for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k)) headers[k] = v;
      const out = httpRequest(
        {
          hostname: base.hostname,
          port: base.port,
          method: req.method,
          path: basePath + (req.url ?? "/"),
          headers: { ...headers, host: base.host, "content-length": String(body.length) },
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

  const runTaskToken = (req: IncomingMessage, body: Buffer): string | null => {
    if (!options.runTaskIdempotency) return null;
    if (!String(req.headers["x-amz-target"] ?? "").endsWith(".RunTask")) return null;
    try {
      const token = (JSON.parse(body.toString("utf8")) as { clientToken?: unknown }).clientToken;
      return typeof token === "string" && token ? token : null;
    } catch {
      return null;
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      if (options.onRequest) {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers))
          if (!UNRECORDED.test(k) && v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
        options.onRequest({
          method: req.method ?? "GET",
          path: req.url ?? "/",
          headers,
          body: body.toString("utf8"),
        });
      }
      try {
        const token = runTaskToken(req, body);
        let answer: Answer;
        const cached = token ? byToken.get(token) : undefined;
        if (token && cached) {
          replayed++;
          answer = await cached;
        } else {
          const pending = forward(req, body);
          if (token) {
            byToken.set(token, pending);
            pending.then(
              (a) => a.status >= 300 && byToken.delete(token),
              () => byToken.delete(token),
            );
          }
          answer = await pending;
        }
        const headers = { ...answer.headers };
        for (const h of HOP) delete headers[h];
        res.writeHead(answer.status, { ...headers, "content-length": String(answer.body.length) });
        res.end(answer.body);
      } catch (error) {
        if (!res.headersSent) res.writeHead(502, { "x-relay-error": String((error as Error).message) });
        res.end();
      }
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get replayedRunTasks() {
      return replayed;
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
