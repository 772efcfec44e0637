/**
 * `npm run soak`: ≥ 500 flow runs through the AWS pipeline under injected faults and crashes
 * (./harness.ts), against a Prefect server and a moto server started here. The Prefect server
 * requires Basic auth with a canary auth string; the API key and webhook secret are canaries too,
 * and none may appear in any log line or recorded request.
 *
 *   SOAK_SEED (default 20261128)   SOAK_RUNS (default 500)
 *   SOAK_FAULT_TAIL_SECONDS (default 60): faults and crashes go on this long after the last run was
 *     requested or due, then stop; no run is requested after that.
 *   SOAK_QUIET_CAP_SECONDS (default 600): the longest the soak then waits for quiet.
 *   SOAK_STUCK_SECONDS (default 2 × start timeout + 2 ticks = 160): an unfinished run with no
 *     progress for this long after faults ended is stuck; one still progressing at the cap is slow.
 *   PUSHPOOL_PEER_DB=sqlite|postgres (default sqlite: the Prefect server's database)
 *   SOAK_VERBOSE=1 prints progress lines. The functions' log lines go to $TMPDIR/pushpool-soak-<seed>.log.
 *
 * Exit status 1 on any violated invariant (listed after the table).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { peerDatabase } from "../../functions/local/postgresServer.ts";
import { startPrefectServer } from "../../functions/local/prefectServer.ts";
import { startMotoServer } from "../peers/motoServer.ts";
import { makeCanaries } from "./capture.ts";
import { runSoak } from "./harness.ts";

const seed = Number(process.env.SOAK_SEED ?? 20_261_128);
const runs = Number(process.env.SOAK_RUNS ?? 500);
const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const verbose = process.env.SOAK_VERBOSE === "1";
// The harness captures stdout/stderr (the functions' logs); the soak's own lines bypass it.
const stdout = process.stdout.write.bind(process.stdout);
const stderr = process.stderr.write.bind(process.stderr);

async function main(): Promise<number> {
  const canaries = makeCanaries();
  const started = Date.now();
  const database = peerDatabase();
  // The server's SQLite database on tmpfs: on this disk each commit's fsync made create_flow_run
  // take ~1 s under load, and Prefect, not pushpool, set the pace. (PostgreSQL: a private cluster
  // without fsync, started and removed with the server.)
  const shm =
    database === "sqlite" && existsSync("/dev/shm") ? mkdtempSync(join("/dev/shm", "pushpool-soak-")) : null;
  const [prefect, moto] = await Promise.all([
    startPrefectServer({
      database,
      env: {
        ...(shm ? { PREFECT_SERVER_DATABASE_CONNECTION_URL: `sqlite+aiosqlite:///${shm}/prefect.db` } : {}),
        PREFECT_SERVER_API_AUTH_STRING: canaries.authString,
        // Housekeeping services off: on SQLite their writes (events above all) contend with the
        // API's and turn into 503s; pushpool needs none of them.
        ...Object.fromEntries(
          [
            "SCHEDULER",
            "EVENT_PERSISTER",
            "EVENT_LOGGER",
            "TRIGGERS",
            "LATE_RUNS",
            "FOREMAN",
            "CANCELLATION_CLEANUP",
            "PAUSE_EXPIRATIONS",
            "REPOSSESSOR",
            "TASK_RUN_RECORDER",
            "DB_VACUUM",
          ].map((name) => [`PREFECT_SERVER_SERVICES_${name}_ENABLED`, "false"]),
        ),
      },
    }),
    startMotoServer(),
  ]);
  const out = (line: string) => stdout(`${line}\n`);
  out(
    `soak: peers up in ${((Date.now() - started) / 1000).toFixed(1)} s (Prefect ${prefect.apiUrl} on ${database}, moto ${moto.endpoint})`,
  );
  try {
    const result = await runSoak({
      prefectApiUrl: prefect.apiUrl,
      prefectAuthString: canaries.authString,
      motoEndpoint: moto.endpoint,
      seed,
      runs,
      canaries,
      holdTasks: true,
      faultTailSeconds: env("SOAK_FAULT_TAIL_SECONDS"),
      quietCapSeconds: env("SOAK_QUIET_CAP_SECONDS"),
      stuckSeconds: env("SOAK_STUCK_SECONDS"),
      progress: verbose ? (line) => stderr(`${line}\n`) : undefined,
      logFile: join(tmpdir(), `pushpool-soak-${seed}.log`),
    });
    out(result.table);
    out(
      `canary hits: requests ${JSON.stringify(result.canaryHits.requests)}, logs ${JSON.stringify(result.canaryHits.logs)}`,
    );
    for (const violation of result.violations) out(`VIOLATION: ${violation}`);
    for (const diagnosis of result.diagnoses) out(diagnosis);
    out(
      `soak: ${result.violations.length ? "FAIL" : "PASS"} in ${((Date.now() - started) / 1000).toFixed(0)} s wall`,
    );
    return result.violations.length ? 1 : 0;
  } finally {
    await Promise.all([prefect.stop(), moto.stop()]);
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    stderr(`soak: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(2);
  },
);
