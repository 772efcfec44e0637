/**
 * The connection after a 503 of Prefect's server: Prefect answers a retryable database error
 * ("database is locked" on SQLite) with its own exception handler, and uvicorn then closes the
 * connection without a `Connection: close` header (test/peers/py/busy_server.py serves that handler
 * with the pinned prefect's uvicorn). The client's transport must not send the next request on it:
 * before core/prefect/nodeFetch.ts stopped reusing 5xx connections, that request always failed
 * with ECONNRESET, and a run-log POST (never retried) was lost.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodeFetch } from "../../core/prefect/nodeFetch.ts";
import { REPO_ROOT, VENV_BIN } from "./prefectServer.ts";

let server: ChildProcess;
let base: string;

beforeAll(async () => {
  server = spawn(join(VENV_BIN, "python"), [join(REPO_ROOT, "test/peers/py/busy_server.py")], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  server.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`busy_server.py did not start: ${stderr}`)), 30_000);
    server.stdout?.once("data", (c: Buffer) => {
      clearTimeout(timer);
      resolve(c.toString().trim());
    });
    server.once("exit", (code) => reject(new Error(`busy_server.py exited ${code}: ${stderr}`)));
  });
  base = `http://127.0.0.1:${port}`;
  // uvicorn accepts once its loop runs: wait for a first answer.
  for (let i = 0; ; i++) {
    try {
      await (await nodeFetch(`${base}/ok`, { method: "POST", headers: {}, body: "{}" })).text();
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}, 60_000);

afterAll(() => {
  server?.kill();
});

describe("the connection after a 503 of Prefect's server", () => {
  it("uvicorn closes it without `Connection: close`; the next request still succeeds at once", async () => {
    for (let i = 0; i < 5; i++) {
      const busy = await nodeFetch(`${base}/busy`, { method: "GET", headers: {} });
      expect(busy.status).toBe(503);
      expect(busy.headers.get("connection")).toBeNull();
      expect(JSON.parse(await busy.text())).toEqual({ exception_message: "Service Unavailable" });
      const next = await nodeFetch(`${base}/ok`, { method: "POST", headers: {}, body: "{}" });
      expect([next.status, JSON.parse(await next.text())]).toEqual([201, { ok: true }]);
    }
  });
});
