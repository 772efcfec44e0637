/**
 * @module
 * The signed webhook on a node:http port: a thin adapter from node's request to core's
 * runtime-neutral `handleWebhook`. Reads at most MAX_BODY_BYTES + 1 bytes, so an oversized body
 * is refused without buffering it whole.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { handleWebhook, MAX_BODY_BYTES, type WebhookDeps } from "../../core/webhook/handler.ts";

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

export async function startWebhookServer(
  deps: Omit<WebhookDeps, "now"> & { now?: () => Date },
  options: { host?: string; port?: number } = {},
): Promise<WebhookServer> {
  const server: Server = createServer(async (req, res) => {
    const body = await readCapped(req, MAX_BODY_BYTES + 1);
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(req.headers))
      headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
    const response = await handleWebhook(
      { method: req.method ?? "GET", path: new URL(req.url ?? "/", "http://x").pathname, headers, body },
      { ...deps, now: deps.now ? deps.now() : new Date() },
    );
    res.writeHead(response.status, response.headers).end(response.body);
  });
  const host = options.host ?? "127.0.0.1";
  // A port in use (EADDRINUSE) or a host not on this machine rejects here, with Node's error code.
  await new Promise<void>((ok, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", fail);
      ok();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/trigger`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

async function readCapped(req: IncomingMessage, cap: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    const room = cap - size;
    if (room <= 0) continue; // drain the rest without keeping it
    const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(piece);
    size += piece.length;
  }
  return Buffer.concat(chunks);
}
