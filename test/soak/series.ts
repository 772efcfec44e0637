/**
 * `npm run soak:series`: the soak's verdict on a loaded machine, repeated. For each database and
 * seed it runs `test/soak/soak.ts` (a fresh Prefect server and moto each time) `SOAK_SERIES_TIMES`
 * times in a row, while a CPU hog (`for(;;){}` in another process) keeps one core busy, and prints
 * one line per run and a summary: runs in a row passed, lost / stuck / duplicated, p95 time to
 * settle, Prefect requests per run, wall time.
 *
 *   SOAK_SERIES_DBS (default "sqlite,postgres")   SOAK_SERIES_SEEDS (default "20261128,2")
 *   SOAK_SERIES_TIMES (default 3)                  SOAK_SERIES_HOG (default 1: one busy core; 0: none)
 *   SOAK_RUNS and the other SOAK_* settings pass through to each soak.
 *
 * Each soak's full output goes to $TMPDIR/pushpool-soak-series/<db>-<seed>-<n>.txt;
 * `npx tsx test/soak/series.ts --from-files` prints the report again from those files.
 * Exit status 1 when any run failed.
 */
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";

const list = (name: string, fallback: string) =>
  (process.env[name] ?? fallback)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const dbs = list("SOAK_SERIES_DBS", "sqlite,postgres");
const seeds = list("SOAK_SERIES_SEEDS", "20261128,2");
const times = Number(process.env.SOAK_SERIES_TIMES ?? 3);
const hog = process.env.SOAK_SERIES_HOG !== "0";
const dir = join(tmpdir(), "pushpool-soak-series");

export interface SoakLine {
  pass: boolean;
  lost?: string;
  stuck?: string;
  duplicated?: string;
  settleP95?: string;
  requestsPerRun?: string;
  wallSeconds?: string;
}

/** The figures of one soak's printed table (test/soak/verdict.ts). */
export function parseSoakOutput(text: string): SoakLine {
  // A row is `  <label>[ (a note)]   | <value>`, indented under the soak's title line.
  const row = (label: string) =>
    new RegExp(`^\\s*${label}(?: \\([^)|]*\\))?\\s*\\|\\s*(.+)$`, "m").exec(text)?.[1]?.trim();
  return {
    pass: /^soak: PASS/m.test(text),
    lost: row("runs lost"),
    stuck: row("runs stuck"),
    duplicated: row("tasks duplicated"),
    settleP95: /p95 ([\d.]+ s)/.exec(row("time to settled") ?? "")?.[1],
    requestsPerRun: /^([\d.]+)/.exec(row("Prefect requests per run") ?? "")?.[1],
    wallSeconds: /^soak: \w+ in (\d+) s wall/m.exec(text)?.[1],
  };
}

function runSoak(db: string, seed: string): Promise<{ code: number; text: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/soak/soak.ts"], {
      env: { ...process.env, PUSHPOOL_PEER_DB: db, SOAK_SEED: seed },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let text = "";
    child.stdout.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      text += d.toString();
    });
    child.on("close", (code) => resolve({ code: code ?? 1, text }));
  });
}

/** One line of the series' report. */
export function describeRun(name: string, r: SoakLine, code?: number): string {
  const pass = r.pass && (code === undefined || code === 0);
  const verdict = pass ? "PASS" : `FAIL${code === undefined ? "" : ` (exit ${code})`}`;
  return `${name}: ${verdict} · lost ${r.lost ?? "?"} / stuck ${r.stuck ?? "?"} / duplicated ${r.duplicated ?? "?"} · p95 settle ${r.settleP95 ?? "?"} · ${r.requestsPerRun ?? "?"} req/run · ${r.wallSeconds ?? "?"} s`;
}

/** `--from-files`: the report again, read from the outputs a series left in its directory. */
function fromFiles(): number {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".txt"))
    .sort();
  let failed = 0;
  for (const file of files) {
    const r = parseSoakOutput(readFileSync(join(dir, file), "utf8"));
    if (!r.pass) failed++;
    process.stdout.write(`${describeRun(file.replace(/\.txt$/, ""), r)}\n`);
  }
  process.stdout.write(`${files.length} soak(s) read from ${dir}, ${failed} not passed\n`);
  return failed ? 1 : 0;
}

async function main(): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const busy = hog ? spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }) : null;
  const say = (line: string) => process.stdout.write(`${line}\n`);
  say(
    `soak series: ${dbs.join("+")} × seeds ${seeds.join(",")} × ${times}, ${cpus().length} cores, CPU hog ${hog ? "on (one core busy)" : "off"}, load ${loadavg()[0]?.toFixed(1)}`,
  );
  let failed = 0;
  const summary: string[] = [];
  try {
    for (const db of dbs) {
      for (const seed of seeds) {
        let inRow = 0;
        for (let n = 1; n <= times; n++) {
          const load = loadavg()[0]?.toFixed(1);
          const { code, text } = await runSoak(db, seed);
          writeFileSync(join(dir, `${db}-${seed}-${n}.txt`), text);
          const r = parseSoakOutput(text);
          const pass = code === 0 && r.pass;
          if (pass) inRow++;
          else failed++;
          say(`${describeRun(`${db} seed ${seed} #${n}`, r, code)} · load at start ${load}`);
        }
        summary.push(`${db} seed ${seed}: ${inRow}/${times} passed`);
      }
    }
  } finally {
    busy?.kill("SIGKILL");
  }
  for (const line of summary) say(line);
  say(`soak series: ${failed ? `FAIL (${failed} run(s) failed)` : "PASS"}; outputs in ${dir}`);
  return failed ? 1 : 0;
}

if (process.argv[1]?.endsWith("series.ts")) {
  (process.argv.includes("--from-files") ? Promise.resolve(fromFiles()) : main()).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`soak series: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(2);
    },
  );
}
