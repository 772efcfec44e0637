/**
 * @module
 * A recording reverse proxy in front of the Prefect API, used for Prefect's worker only (its flow
 * processes are pointed straight at the server through the deployment's `env` job variable, so
 * only the worker's own requests pass here). Each request is recorded with its start and end
 * (`performance.now()`, end = response fully sent) and, for `get_scheduled_flow_runs`, the ids of
 * the runs in the response (where the worker learned of each run). WebSocket upgrades (the
 * worker's event stream, /api/events/in) are piped through unrecorded: events are fire-and-forget,
 * not round trips. Cost: one loopback hop, ~1 ms.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";
import type { Trip } from "./roundTrips.ts";

export interface ProxyTrip extends Trip {
  /** Run ids returned by a `get_scheduled_flow_runs` call. */
  returned?: string[];
}

export interface ApiProxy {
  /** The proxied API base URL, e.g. http://127.0.0.1:40111/api */
  apiUrl: string;
  trips: ProxyTrip[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
  "content-encoding",
  "host",
]);

export async function startApiProxy(upstreamApiUrl: string): Promise<ApiProxy> {
  const upstream = new URL(upstreamApiUrl);
  const base = upstream.pathname.replace(/\/$/, "");
  const trips: ProxyTrip[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const start = performance.now();
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(k) && typeof v === "string") headers.set(k, v);
    const url = new URL(req.url ?? "/", upstream.origin);
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    const trip: ProxyTrip = { method: req.method ?? "GET", path, status: 0, start, end: Number.NaN };
    try {
      const answer = await fetch(url, {
        method: req.method,
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const text = Buffer.from(await answer.arrayBuffer());
      trip.status = answer.status;
      if (path.endsWith("/get_scheduled_flow_runs") && answer.ok) trip.returned = runIds(text);
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!HOP_BY_HOP.has(k)) out[k] = v;
      });
      out["content-length"] = String(text.length);
      res.writeHead(answer.status, out);
      res.end(text);
    } catch (error) {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(error));
    } finally {
      trip.end = performance.now();
      trips.push(trip);
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  const sockets = new Set<Socket>();
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const up = connect(Number(upstream.port), upstream.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i + 1 < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    for (const s of [up, socket]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    apiUrl: `http://127.0.0.1:${port}${base}`,
    trips,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}

function runIds(body: Buffer): string[] {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { flow_run?: { id?: string } }[];
    return parsed.flatMap((r) => (r.flow_run?.id ? [r.flow_run.id] : []));
  } catch {
    return [];
  }
}
