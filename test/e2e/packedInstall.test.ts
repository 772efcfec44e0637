/**
 * The package a user installs: `npm pack` in the clone, `npm install <tarball>` into an empty
 * directory outside it, then the installed `pushpool` binary serves a process pool on the real
 * Prefect server, as `prefect worker start` would, and stops cleanly on SIGTERM.
 *
 * The install resolves every dependency from the npm cache (`--prefer-offline`, the same lockfile
 * versions the clone installed): ~8-15 s on an idle machine, hence the generous hook timeout.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, lstatSync } from "node:fs";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, VENV_BIN } from "../../functions/local/prefectServer.ts";
import { apiUrl, createDeployment, createProcessPool, createRun, TERMINAL, waitForState } from "./harness.ts";

const run = promisify(execFile);
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";
let packDir = "";
let installDir = "";
let tarballFiles: string[] = [];
let bin = "";

/** npm's own environment, minus the npm_* variables of the vitest run (npm_config_* would steer it). */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, PATH: `${VENV_BIN}:${process.env.PATH ?? ""}`, ...extra };
}

beforeAll(async () => {
  packDir = await mkdtemp(join(tmpdir(), "pushpool-pack-"));
  installDir = await mkdtemp(join(tmpdir(), "pushpool-install-"));
  const npmOptions = { env: cleanEnv(), maxBuffer: 16 * 1024 * 1024 };
  await run(NPM, ["pack", "--pack-destination", packDir, "--loglevel=error"], {
    ...npmOptions,
    cwd: REPO_ROOT,
  });
  const [tarball] = (await readdir(packDir)).filter((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`npm pack wrote no tarball in ${packDir}`);
  tarballFiles = spawnSync("tar", ["-tzf", join(packDir, tarball)], { encoding: "utf8" })
    .stdout.split("\n")
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ""));
  await writeFile(join(installDir, "package.json"), '{"name":"someone-else","private":true}\n');
  await run(
    NPM,
    ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", join(packDir, tarball)],
    { ...npmOptions, cwd: installDir },
  );
  bin = join(installDir, "node_modules", ".bin", "pushpool");
}, 600_000);

afterAll(async () => {
  for (const dir of [packDir, installDir]) if (dir) await rm(dir, { recursive: true, force: true });
});

function pushpool(args: string[]) {
  return spawnSync(bin, args, { cwd: installDir, env: cleanEnv(), encoding: "utf8", timeout: 60_000 });
}

describe("npm pack → npm install <tarball> outside the clone", () => {
  it("ships the local runtime and core as sources, not tests, bench, the AWS functions or set-up", () => {
    expect(tarballFiles).toContain("package.json");
    expect(tarballFiles).toContain("functions/local/bin/pushpool.js");
    expect(tarballFiles).toContain("functions/local/cli.ts");
    expect(tarballFiles.some((f) => f.startsWith("core/runtime/"))).toBe(true);
    const outside = tarballFiles.filter(
      (f) => !/^(core\/|functions\/local\/|package\.json$|README\.md$|LICENSE)/.test(f),
    );
    expect(outside).toEqual([]);
    expect(tarballFiles).not.toContain("functions/local/setup.mjs");
    expect(tarballFiles.filter((f) => /\.test\.ts$/.test(f))).toEqual([]);
  });

  it("installs a copy, not a link into the clone", () => {
    const installed = join(installDir, "node_modules", "pushpool");
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    expect(existsSync(join(installed, "functions", "local", "cli.ts"))).toBe(true);
    expect(existsSync(join(installed, "test"))).toBe(false);
  });

  it("`pushpool --help` runs from the installed package", () => {
    const help = pushpool(["--help"]);
    expect(help.stderr).toBe("");
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("Usage: pushpool");
    expect(help.stdout).toContain("local");
  });

  it("`pushpool demo` says it needs a clone instead of failing on a missing .venv/", () => {
    const demo = pushpool(["demo"]);
    expect(demo.status).toBe(1);
    expect(demo.stderr).toMatch(/^pushpool demo: needs a clone of the pushpool repository/);
  });

  it("`pushpool local --pools <process pool>` serves a run to Completed, then stops cleanly", async () => {
    const pool = await createProcessPool();
    const { id: deploymentId } = await createDeployment({ pool });
    let output = "";
    const local: ChildProcess = spawn(bin, ["local", "--pools", pool, "--tick", "1"], {
      cwd: installDir,
      env: cleanEnv({ PREFECT_API_URL: apiUrl() }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    local.stdout?.on("data", (d) => (output += d));
    local.stderr?.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => local.once("exit", (code) => resolve(code)));
    try {
      const flowRun = await createRun(deploymentId, { parameters: { name: "packed" } });
      const done = await waitForState(flowRun.id, TERMINAL, 90_000).catch((error: Error) => {
        throw new Error(`${error.message}\npushpool local output:\n${output}`);
      });
      expect(done.state_type, output).toBe("COMPLETED");
      expect(local.exitCode, output).toBeNull();
    } finally {
      if (local.exitCode === null) local.kill("SIGTERM");
    }
    expect(await exited, output).toBe(0);
  }, 180_000);
});
