#!/usr/bin/env node
// One-step set-up, run first by `npm test`, `npm run demo` and `npm run bench`:
// 1. npm packages from the lockfile, when node_modules/ is missing or older than package-lock.json;
// 2. the project-local Python virtual environment (.venv/) with the pinned Prefect (server, CLI,
//    and the flow runner the local backend starts), per functions/local/requirements.txt;
// 3. with --iac (npm test), a second one, .venv-iac/, with the pinned checkov that checks infra/ (infra/requirements.txt),
//    kept apart because checkov pins older boto3 and packaging than moto and Prefect need.
// Each step is a no-op when already done.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const lockfile = join(root, "package-lock.json");
const npmStamp = join(root, "node_modules", ".pushpool-lock.sha256");
const venv = join(root, ".venv");
const requirements = join(root, "functions", "local", "requirements.txt");

function fail(message) {
  console.error(`\n[pushpool] cannot prepare the test peers: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "inherit", "inherit"], cwd: root });
  if (r.error) fail(`${what}: ${r.error.message}`);
  if (r.status !== 0) fail(`${what} exited with status ${r.status}`);
}

const sha = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");
const stamped = (file, value) => existsSync(file) && readFileSync(file, "utf8").trim() === value;

const lock = sha(lockfile);
if (!stamped(npmStamp, lock)) {
  console.error("[pushpool] installing npm packages from package-lock.json…");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  run(npm, ["ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci");
  writeFileSync(npmStamp, `${lock}\n`);
}

const basePython = process.env.PUSHPOOL_SETUP_PYTHON ?? "python3";
let basePythonChecked = false;

function checkBasePython() {
  if (basePythonChecked) return;
  basePythonChecked = true;
  const probe = spawnSync(
    basePython,
    ["-c", "import sys, venv, ensurepip; print(sys.version_info[:2] >= (3, 10))"],
    {
      encoding: "utf8",
    },
  );
  if (probe.error)
    fail(
      `'${basePython}' was not found. Install Python 3.10+ (with venv and pip), or set PUSHPOOL_SETUP_PYTHON.`,
    );
  if (probe.status !== 0)
    fail(
      `'${basePython}' lacks the venv/ensurepip modules (Debian: apt-get install python3-venv).\n${probe.stderr}`,
    );
  if (probe.stdout.trim() !== "True")
    fail(`'${basePython}' is older than Python 3.10, which Prefect 3 requires.`);
}

/** Creates `dir` (a venv) with the pinned `requirementsFile`, unless its stamp says it is current. */
function prepareVenv(dir, requirementsFile, what) {
  const name = `${dir.slice(root.length + 1)}/`;
  const python = join(dir, "bin", "python");
  const stamp = join(dir, ".pushpool-requirements.sha256");
  const wanted = sha(requirementsFile);
  if (existsSync(python) && stamped(stamp, wanted)) return;
  checkBasePython();
  console.error(`[pushpool] preparing ${name} with ${what}…`);
  if (!existsSync(python)) run(basePython, ["-m", "venv", dir], `creating ${name}`);
  run(
    python,
    ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", requirementsFile],
    `pip install into ${name}`,
  );
  writeFileSync(stamp, `${wanted}\n`);
  console.error(`[pushpool] ${name} is ready.`);
}

prepareVenv(venv, requirements, "the pinned Prefect (functions/local/requirements.txt)");
// Only the test suite checks infra/ (`npm test` passes --iac): the demo does not wait for checkov.
if (process.argv.includes("--iac"))
  prepareVenv(
    join(root, ".venv-iac"),
    join(root, "infra", "requirements.txt"),
    "the pinned checkov for the infra/ checks (infra/requirements.txt)",
  );
