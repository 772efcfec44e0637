/**
 * The `pushpool` command's flags as a user meets them, against the real Prefect server:
 * --version, an unknown flag, a bad value, a webhook port in use, Prefect profiles (env wins).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, pushpool, startLocal } from "./cliProcess.ts";
import { apiUrl, createDeployment, createProcessPool, createRun, TERMINAL, waitForState } from "./harness.ts";

let home: string;
let pool: string;
let deploymentId: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), "pushpool-cli-"));
  pool = await createProcessPool();
  ({ id: deploymentId } = await createDeployment({ pool }));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A PREFECT_HOME whose active profile points at `url`; HOME is the temp dir too (no ~/.prefect). */
function prefectHome(name: string, url: string): Record<string, string> {
  const dir = join(home, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "profiles.toml"),
    `active = "${name}"\n\n[profiles.${name}]\nPREFECT_API_URL = "${url}"\n`,
  );
  return { PREFECT_HOME: dir, HOME: home };
}

describe("pushpool flags", () => {
  it("--version and -V print the package version and the Prefect release it targets", () => {
    for (const flag of ["--version", "-V"]) {
      const r = pushpool([flag], cleanEnv());
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^pushpool \d+\.\d+\.\d+\S* \(Prefect 3\.\d+\.\d+, API \d+\.\d+\.\d+\)\n$/);
    }
  });

  it("an unknown flag: one line naming it, a hint to --help, exit code 2", () => {
    const r = pushpool(["local", "--pool", pool, "--bogus"], cleanEnv({ PREFECT_API_URL: apiUrl() }));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "pushpool local: unknown option '--bogus'\nRun 'pushpool local --help' for its options.\n",
    );
  });

  it("a bad value is named by its flag, not by the variable behind it", () => {
    const r = pushpool(["local", "--pool", pool, "--tick", "abc"], cleanEnv({ PREFECT_API_URL: apiUrl() }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("pushpool local: --tick must be a number of seconds, got 'abc'");
    expect(r.stderr).not.toContain("PUSHPOOL_TICK_SECONDS");
  });

  it("a webhook port in use: one clean line with the fix, exit code 1", async () => {
    const busy: Server = createServer();
    await new Promise<void>((ok) => busy.listen(0, "127.0.0.1", ok));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = pushpool(
        ["local", "--pool", pool, "--port", String(port)],
        cleanEnv({ PREFECT_API_URL: apiUrl(), PUSHPOOL_WEBHOOK_SECRET: "cli-flags-secret-0123456789abcdef" }),
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        `pushpool local: port ${port} is in use: pass --port or set PUSHPOOL_WEBHOOK_PORT\n`,
      );
    } finally {
      await new Promise((ok) => busy.close(ok));
    }
  });

  it("reads PREFECT_API_URL from the active Prefect profile when the environment does not set it", async () => {
    const env = cleanEnv(prefectHome("e2eprofile", apiUrl()));
    expect(env.PREFECT_API_URL).toBeUndefined();
    const local = await startLocal(["--pool", pool, "--tick", "1", "--log-level", "debug"], env);
    try {
      expect(local.stderr()).toContain(`Prefect API  ${apiUrl()} (profile 'e2eprofile')`);
      const run = await createRun(deploymentId, { parameters: { name: "profile" } });
      expect((await waitForState(run.id, TERMINAL, 90_000)).state_type).toBe("COMPLETED");
      expect(local.stderr()).toContain("Prefect API request"); // --log-level debug took effect
    } finally {
      expect(await local.stop()).toBe(0);
    }
  });

  it("the environment wins over the profile; --host is the webhook's bind address", async () => {
    const env = cleanEnv({
      ...prefectHome("unreachable", "http://unreachable.invalid:4200/api"),
      PREFECT_API_URL: apiUrl(),
      PUSHPOOL_WEBHOOK_SECRET: "cli-flags-secret-0123456789abcdef",
    });
    const local = await startLocal(
      ["--pool", pool, "--tick", "1", "--host", "127.0.0.2", "--port", "0"],
      env,
    );
    try {
      expect(local.stderr()).toContain(`Prefect API  ${apiUrl()}\n`);
      const port = /webhook {6}http:\/\/127\.0\.0\.2:(\d+)\/trigger/.exec(local.stderr())?.[1];
      expect(port).toBeDefined();
      expect((await fetch(`http://127.0.0.2:${port}/trigger`, { method: "POST", body: "{}" })).status).toBe(
        401,
      );
      await expect(
        fetch(`http://127.0.0.1:${port}/trigger`, { method: "POST", body: "{}" }),
      ).rejects.toThrow();
      const run = await createRun(deploymentId, { parameters: { name: "env-wins" } });
      expect((await waitForState(run.id, TERMINAL, 90_000)).state_type).toBe("COMPLETED");
    } finally {
      await local.stop();
    }
    expect(local.stderr()).not.toContain("unreachable.invalid");
  });

  it("without PREFECT_API_URL anywhere: the fix in one line", () => {
    const r = pushpool(["local", "--pool", pool], cleanEnv({ HOME: home }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      /^pushpool local: PREFECT_API_URL is not set: .*prefect config set PREFECT_API_URL/,
    );
  });
});
