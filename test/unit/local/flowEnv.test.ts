import { describe, expect, it } from "vitest";
import { flowEnvironment, isNpmLauncherVariable } from "../../../functions/local/flowEnv.ts";

describe("flowEnvironment", () => {
  it("keeps the caller's environment, without pushpool's webhook secrets and npm's launcher variables", () => {
    const env = {
      PATH: "/usr/bin",
      HOME: "/home/u",
      PREFECT_API_URL: "http://127.0.0.1:4200/api",
      AWS_PROFILE: "dev",
      PUSHPOOL_POOLS: "local",
      PUSHPOOL_WEBHOOK_SECRET: "s3cret-value",
      PUSHPOOL_WEBHOOK_KEYS: '[{"id":"ci","secret":"x"}]',
      npm_config_cache: "/home/u/.npm",
      npm_lifecycle_event: "demo",
      npm_package_name: "pushpool",
      INIT_CWD: "/home/u/src",
      NPM_TOKEN: "kept: not set by npm itself",
    };
    expect(flowEnvironment(env)).toEqual({
      PATH: "/usr/bin",
      HOME: "/home/u",
      PREFECT_API_URL: "http://127.0.0.1:4200/api",
      AWS_PROFILE: "dev",
      PUSHPOOL_POOLS: "local",
      NPM_TOKEN: "kept: not set by npm itself",
    });
  });

  it("does not change its input", () => {
    const env = { npm_config_x: "1", A: "b" };
    flowEnvironment(env);
    expect(env).toEqual({ npm_config_x: "1", A: "b" });
  });

  it("names npm's variables by npm's own spelling only", () => {
    expect(["npm_config_cache", "npm_execpath", "INIT_CWD"].map(isNpmLauncherVariable)).toEqual([
      true,
      true,
      true,
    ]);
    expect(["NPM_TOKEN", "npmrc", "MY_npm_x", "init_cwd"].map(isNpmLauncherVariable)).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
