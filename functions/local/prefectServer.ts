/**
 * @module
 * Starts one real Prefect server (the pinned `prefect` in .venv/) on a free loopback port, with its
 * own temporary PREFECT_HOME, and stops it. Used by the test harness, the demo and the benchmarks.
 * Its database is SQLite (Prefect's default, in PREFECT_HOME) or PostgreSQL (./postgresServer.ts):
 * a private cluster of its own, or a fresh database in a cluster the caller shares.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createDatabase, type PeerDatabase, type PostgresCluster, startPostgres } from "./postgresServer.ts";

export const REPO_ROOT = resolve(import.meta.dirname, "..", "..");
export const VENV_BIN = join(REPO_ROOT, ".venv", "bin");
export const PREFECT_BIN = join(VENV_BIN, "prefect");

export interface PrefectServer {
  /** API base URL, e.g. http://127.0.0.1:41234/api */
  apiUrl: string;
  home: string;
  logFile: string;
  /** Extra env the server was started with (auth string, CSRF flag…). */
  env: Record<string, string>;
  /** The SQLAlchemy URL of the server's database (sqlite+aiosqlite:///… or postgresql+asyncpg://…). */
  databaseUrl: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Extra server settings (PREFECT_SERVER_*), e.g. an auth string or CSRF protection. */
  env?: Record<string, string>;
  /** Milliseconds to wait for /api/health. */
  timeoutMs?: number;
  /**
   * "sqlite" (the default): Prefect's own file in PREFECT_HOME, or the URL in
   * env.PREFECT_SERVER_DATABASE_CONNECTION_URL. "postgres": a private PostgreSQL cluster, stopped
   * with the server. A PostgresCluster: a fresh database in that running cluster.
   */
  database?: PeerDatabase | PostgresCluster;
}

export async function freePort(): Promise<number> {
  return await new Promise((ok, ko) => {
    const srv = createServer();
    srv.once("error", ko);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => ok(port));
    });
  });
}

export async function startPrefectServer(options: StartOptions = {}): Promise<PrefectServer> {
  if (!existsSync(PREFECT_BIN)) {
    throw new Error(
      `The pinned Prefect CLI is missing at ${PREFECT_BIN}. Run 'npm run setup' (npm test and npm run demo do it first).`,
    );
  }
  const database = options.database ?? "sqlite";
  const extra = options.env ?? {};
  if (database !== "sqlite" && extra.PREFECT_SERVER_DATABASE_CONNECTION_URL !== undefined) {
    throw new Error(
      "startPrefectServer: give either a database or PREFECT_SERVER_DATABASE_CONNECTION_URL, not both",
    );
  }
  const cluster = database === "postgres" ? await startPostgres() : undefined;
  let databaseUrl: string;
  try {
    const shared = typeof database === "object" ? database : cluster;
    databaseUrl = shared
      ? await createDatabase(shared)
      : (extra.PREFECT_SERVER_DATABASE_CONNECTION_URL ?? "");
  } catch (e) {
    await cluster?.stop();
    throw e;
  }
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), "pushpool-prefect-"));
  const logFile = join(home, "server.log");
  databaseUrl ||= `sqlite+aiosqlite:///${home}/prefect.db`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LANG: "C.UTF-8",
    PREFECT_HOME: home,
    PREFECT_SERVER_ANALYTICS_ENABLED: "false",
    PREFECT_SERVER_UI_ENABLED: "false",
    PREFECT_SERVER_LOGGING_LEVEL: "WARNING",
    PREFECT_SERVER_API_HOST: "127.0.0.1",
    PREFECT_SERVER_API_PORT: String(port),
    ...extra,
    PREFECT_SERVER_DATABASE_CONNECTION_URL: databaseUrl,
  };
  const { openSync } = await import("node:fs");
  const out = openSync(logFile, "a");
  const child: ChildProcess = spawn(
    PREFECT_BIN,
    ["server", "start", "--host", "127.0.0.1", "--port", String(port)],
    {
      env,
      stdio: ["ignore", out, out],
      detached: true,
    },
  );
  let exited: number | null = null;
  child.on("exit", (code) => {
    exited = code ?? -1;
  });
  const apiUrl = `http://127.0.0.1:${port}/api`;
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const stop = async () => {
    if (child.pid && exited === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      const t0 = Date.now();
      while (exited === null && Date.now() - t0 < 10_000) await sleep(100);
      if (exited === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
    }
    rmSync(home, { recursive: true, force: true });
    await cluster?.stop();
  };
  while (Date.now() < deadline) {
    if (exited !== null) break;
    try {
      const r = await fetch(`${apiUrl}/health`);
      if (r.ok) return { apiUrl, home, logFile, env: extra, databaseUrl, stop };
    } catch {}
    await sleep(250);
  }
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-30).join("\n") : "";
  await stop();
  throw new Error(
    exited !== null
      ? `The Prefect server exited with status ${exited} before becoming healthy. Last log lines:\n${log}`
      : `The Prefect server did not answer ${apiUrl}/health in time. Last log lines:\n${log}`,
  );
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
