/**
 * A Cloud Tasks world for tests: the fake (./tasksFake.ts), the REAL `CloudTasksClient` talking to
 * it over gRPC, and a local HTTP target standing for the dispatch function — each queue gets its
 * own route `/dispatch/<queue id>`, whose handler answers like a functions-framework HTTP function
 * (a status code). Queues are created through the client (CreateQueue with a `retry_config`).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { CloudTasksClient } from "@google-cloud/tasks";
import { TasksFake } from "./tasksFake.ts";

export const PROJECT = "pushpool-test";
export const LOCATION = "us-central1";
export const SERVICE_ACCOUNT = `pushpool-tasks@${PROJECT}.iam.gserviceaccount.com`;

/** What the target got: headers (lower-case, as Express has them) and the raw body. */
export interface TargetRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}
export type TargetHandler = (req: TargetRequest) => Promise<number>;

export interface TasksWorld {
  fake: TasksFake;
  client: CloudTasksClient;
  /** Creates a queue; returns its path and the URL its target route answers on. */
  queue(
    handler: TargetHandler,
    retry: { maxAttempts: number; minBackoffMs: number; maxBackoffMs: number },
  ): Promise<{ path: string; url: string; close(): Promise<void> }>;
  stop(): Promise<void>;
}

const duration = (ms: number) => ({ seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 });

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startTasksWorld(): Promise<TasksWorld> {
  const fake = await new TasksFake().start();
  const client = new CloudTasksClient(fake.clientOptions());
  const routes = new Map<string, TargetHandler>();
  const server: Server = createServer(async (req, res) => {
    const id = /^\/dispatch\/([^/?]+)/.exec(req.url ?? "")?.[1] ?? "";
    const handler = routes.get(id);
    try {
      const rawBody = await readBody(req);
      res.statusCode = handler ? await handler({ headers: req.headers, rawBody }) : 404;
    } catch {
      res.statusCode = 500;
    }
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    fake,
    client,
    async queue(handler, retry) {
      const id = `q-${randomUUID().slice(0, 12)}`;
      const parent = client.locationPath(PROJECT, LOCATION);
      const path = client.queuePath(PROJECT, LOCATION, id);
      await client.createQueue({
        parent,
        queue: {
          name: path,
          retryConfig: {
            maxAttempts: retry.maxAttempts,
            minBackoff: duration(retry.minBackoffMs),
            maxBackoff: duration(retry.maxBackoffMs),
          },
        },
      });
      routes.set(id, handler);
      return {
        path,
        url: `http://127.0.0.1:${port}/dispatch/${id}`,
        async close() {
          routes.delete(id);
          await client.deleteQueue({ name: path });
        },
      };
    },
    async stop() {
      await client.close();
      await fake.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
