/**
 * An HTTP relay for the soak and the secret-hygiene test that records every request pushpool made
 * (method, path, headers minus `Authorization` and the SigV4 signing headers, body) to `onRequest`,
 * before anything else can fault it, and forwards it unchanged.
 *
 * It adds nothing to the peers: in particular moto ignores RunTask's `clientToken`, and the soak
 * leaves it so — one task per claim must hold through pushpool's own claim protocol
 * (core/backends/ecs/claimTask.ts), not through an emulation of AWS's idempotency.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface RelayOptions {
  upstream: string;
  onRequest(request: RecordedRequest): void;
}

export interface Relay {
  url: string;
  stop(): Promise<void>;
}

/** Headers that carry credentials or request signatures, never recorded. */
const UNRECORDED = /^(authorization|x-amz-date|x-amz-security-token|x-amz-content-sha256|cookie)$/i;
const HOP = new Set(["host", "connection", "keep-alive", "transfer-encoding", "content-length"]);

export async function startRelay(options: RelayOptions): Promise<Relay> {
  const base = new URL(options.upstream);
  const basePath = base.pathname.replace(/\/+$/, "");
  const sockets = new Set<Socket>();

  /** Streams the upstream's answer back as it comes: a reset or a body cut short reaches the caller as such. */
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse) => {
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
      (up) => {
        const back = { ...up.headers };
        for (const h of HOP) if (h !== "content-length") delete back[h];
        res.writeHead(up.statusCode ?? 502, back);
        up.on("data", (c: Buffer) => res.write(c));
        up.on("end", () => res.end());
        up.on("error", () => res.destroy());
        up.on("aborted", () => res.destroy());
      },
    );
    out.on("error", () => res.destroy());
    out.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const recorded: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (!UNRECORDED.test(k) && v !== undefined) recorded[k] = Array.isArray(v) ? v.join(", ") : v;
      options.onRequest({
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: recorded,
        body: body.toString("utf8"),
      });
      forward(req, body, res);
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
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
