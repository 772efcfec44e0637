#!/usr/bin/env node
// Prepares the project-local Python virtual environment (.venv/) that holds the test peers
// (a pinned Prefect server and CLI). Runs before `npm test`, `npm run demo` and `npm run bench`.
// It is a no-op when .venv/ already matches test/peers/requirements.txt.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const venv = join(root, ".venv");
const requirements = join(root, "test", "peers", "requirements.txt");
const stamp = join(venv, ".pushpool-requirements.sha256");
const python = join(venv, "bin", "python");

function fail(message) {
  console.error(`\n[pushpool] cannot prepare the test peers: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], cwd: root });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} exited with status ${r.status}`);
}

const wanted = createHash("sha256").update(readFileSync(requirements)).digest("hex");
if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, "utf8").trim() === wanted) {
  process.exit(0);
}

const basePython = process.env.PUSHPOOL_PYTHON ?? "python3";
const probe = spawnSync(basePython, ["-c", "import sys, venv, ensurepip; print(sys.version_info[:2] >= (3, 10))"], {
  encoding: "utf8",
});
if (probe.error) fail(`'${basePython}' was not found. Install Python 3.10+ (with venv and pip), or set PUSHPOOL_PYTHON.`);
if (probe.status !== 0)
  fail(`'${basePython}' lacks the venv/ensurepip modules (Debian: apt-get install python3-venv).\n${probe.stderr}`);
if (probe.stdout.trim() !== "True") fail(`'${basePython}' is older than Python 3.10, which Prefect 3 requires.`);

console.error("[pushpool] preparing .venv/ with the pinned test peers (test/peers/requirements.txt)…");
if (!existsSync(python)) run(basePython, ["-m", "venv", venv], "creating the virtual environment");
run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirements], "pip install");
writeFileSync(stamp, `${wanted}\n`);
console.error("[pushpool] .venv/ is ready.");
