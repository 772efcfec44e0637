/**
 * @module
 * A private PostgreSQL cluster for the test peers and benchmarks (PUSHPOOL_PEER_DB=postgres), with
 * Debian's `postgresql` binaries: `initdb` into a temporary folder, `postgres` on a free loopback
 * port with its socket in that folder, a database per Prefect server, and everything removed at
 * stop. The Debian service is never used (systemd may not run). PostgreSQL refuses to run as root,
 * so as root the cluster belongs to the `postgres` OS user (the processes are started with its
 * uid/gid, as `runuser -u postgres --` would).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  chownSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./prefectServer.ts";

export type PeerDatabase = "sqlite" | "postgres";

const INSTALL_HINT = "apt-get update && apt-get install -y postgresql";
const INITDB_FLAGS = ["--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync"];
// A throw-away cluster: no fsync, so a loaded test machine's disk does not set the pace.
const SETTINGS = ["fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200"];

/** PUSHPOOL_PEER_DB: `sqlite` (the default, also when empty) or `postgres`; anything else is an error. */
export function peerDatabase(env: NodeJS.ProcessEnv = process.env): PeerDatabase {
  const value = env.PUSHPOOL_PEER_DB ?? "";
  if (value === "" || value === "sqlite") return "sqlite";
  if (value === "postgres") return "postgres";
  throw new Error(
    `PUSHPOOL_PEER_DB must be 'sqlite' (the default) or 'postgres', not ${JSON.stringify(value)}`,
  );
}

/** What a process needs to reach a running cluster (plain data: vitest can hand it to test files). */
export interface PostgresCluster {
  /** Folder of the PostgreSQL binaries (psql, createdb…). */
  bin: string;
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface RunningPostgres extends PostgresCluster {
  dir: string;
  logFile: string;
  stop(): Promise<void>;
}

/** The bin folder of the newest installed Debian PostgreSQL (/usr/lib/postgresql/<major>/bin). */
export function postgresBinDir(root = "/usr/lib/postgresql"): string {
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => /^\d+$/.test(d) && existsSync(join(root, d, "bin", "postgres")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (majors.length === 0) {
    throw new Error(
      `PUSHPOOL_PEER_DB=postgres needs Debian's PostgreSQL server, and no ${root}/<major>/bin/postgres is installed. Install it with: ${INSTALL_HINT} (as root), or run with PUSHPOOL_PEER_DB=sqlite.`,
    );
  }
  return join(root, majors[0] as string, "bin");
}

/** uid/gid to run PostgreSQL as: ourselves, or the `postgres` OS user when we are root. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = spawnSync("getent", ["passwd", "postgres"], { encoding: "utf8" }).stdout.trim();
  const [, , uid, gid] = entry.split(":");
  if (!uid || !gid)
    throw new Error(
      `running as root, PostgreSQL needs the 'postgres' OS user, which is missing: ${INSTALL_HINT}`,
    );
  return { uid: Number(uid), gid: Number(gid) };
}

function run(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  user?: { uid: number; gid: number },
  cwd?: string,
) {
  return new Promise<{ code: number; output: string }>((ok, ko) => {
    const child = spawn(bin, args, {
      env: { PATH: process.env.PATH, LANG: "C.UTF-8", ...env },
      cwd,
      ...user,
    });
    let output = "";
    child.stdout.on("data", (b) => (output += b));
    child.stderr.on("data", (b) => (output += b));
    child.once("error", ko);
    child.once("close", (code) => ok({ code: code ?? -1, output }));
  });
}

function clientEnv(c: PostgresCluster): NodeJS.ProcessEnv {
  return { PGHOST: c.host, PGPORT: String(c.port), PGUSER: c.user, PGPASSWORD: c.password };
}

/** Runs SQL through psql on `database`; returns psql's unaligned, tuples-only output. */
export async function psql(c: PostgresCluster, database: string, sql: string): Promise<string> {
  const r = await run(
    join(c.bin, "psql"),
    ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
    clientEnv(c),
  );
  if (r.code !== 0)
    throw new Error(`psql on ${c.host}:${c.port}/${database} failed (${r.code}): ${r.output.trim()}`);
  return r.output.trim();
}

/** Creates a fresh database and returns its SQLAlchemy URL for Prefect (postgresql+asyncpg://…). */
export async function createDatabase(
  c: PostgresCluster,
  name = `prefect_${randomBytes(6).toString("hex")}`,
): Promise<string> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  await psql(c, "postgres", `CREATE DATABASE ${name}`);
  return `postgresql+asyncpg://${c.user}:${c.password}@${c.host}:${c.port}/${name}`;
}

/** Starts a private cluster on a free loopback port; resolves once it accepts connections. */
export async function startPostgres(options: { timeoutMs?: number } = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const dir = mkdtempSync(join(tmpdir(), "pushpool-pg-"));
  const data = join(dir, "data");
  const logFile = join(dir, "postgres.log");
  const password = randomBytes(18).toString("hex");
  const cluster = { bin, host: "127.0.0.1", port: await freePort(), user: "pushpool", password };
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (user) for (const p of [dir, pwfile]) chownSync(p, user.uid, user.gid);

  let child: ChildProcess | undefined;
  let exited: number | null = null;
  const stop = async () => {
    if (child && exited === null) {
      child.kill("SIGINT"); // fast shutdown: roll back open transactions, close connections
      const t0 = Date.now();
      while (exited === null && Date.now() - t0 < 10_000) await sleep(100);
      if (exited === null) child.kill("SIGQUIT");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const fail = async (why: string) => {
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n") : "";
    await stop();
    return new Error(`PostgreSQL (${bin}) ${why}\n${log}`);
  };

  const initdb = ["-D", data, "-U", cluster.user, `--pwfile=${pwfile}`, ...INITDB_FLAGS];
  const init = await run(join(bin, "initdb"), initdb, {}, user, dir);
  rmSync(pwfile, { force: true });
  if (init.code !== 0) throw await fail(`initdb failed (${init.code}): ${init.output.trim()}`);

  const out = openSync(logFile, "a");
  if (user) chownSync(logFile, user.uid, user.gid);
  const args = ["-D", data, "-h", cluster.host, "-p", String(cluster.port), "-k", dir];
  for (const setting of SETTINGS) args.push("-c", setting);
  child = spawn(join(bin, "postgres"), args, {
    cwd: dir,
    env: { PATH: process.env.PATH, LANG: "C.UTF-8" },
    stdio: ["ignore", out, out],
    ...user,
  });
  closeSync(out);
  child.on("exit", (code) => {
    exited = code ?? -1;
  });

  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline && exited === null) {
    const ready = await run(join(bin, "pg_isready"), ["-q"], clientEnv(cluster));
    if (ready.code === 0) return { ...cluster, dir, logFile, stop };
    await sleep(200);
  }
  throw await fail(
    exited !== null ? `exited with status ${exited} while starting.` : "did not accept connections in time.",
  );
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}
