/** `pushpool local`'s flags → the environment → loadConfig: each flag means its variable, and wins. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/runtime/config.ts";
import { parseCommandArgs, UsageError } from "../../../functions/local/args.ts";
import { LOCAL_OPTIONS, localFlagsToEnv, localSettings } from "../../../functions/local/commands/local.ts";

const BASE = { PREFECT_API_URL: "http://127.0.0.1:4200/api" };

function configFor(argv: string[], env: Record<string, string> = {}) {
  const { values } = parseCommandArgs(argv, LOCAL_OPTIONS);
  const flagged = localFlagsToEnv(values, { ...BASE, ...env });
  return { config: loadConfig(flagged), local: localSettings(flagged), env: flagged };
}

describe("pushpool local flags", () => {
  it("map onto the configuration prefect worker start's options stand for", () => {
    const { config, local } = configFor([
      "-p",
      "a",
      "--pool",
      "b",
      "--pools",
      "c,a",
      "--work-queue",
      "high",
      "-q",
      "low",
      "--name",
      "laptop",
      "--limit",
      "3",
      "--tick",
      "2",
      "--port",
      "9000",
      "--host",
      "0.0.0.0",
      "--log-level",
      "warning",
    ]);
    expect(config.pools).toEqual(["a", "b", "c"]);
    expect(config.workQueues).toEqual(["high", "low"]);
    expect(config.workerName).toBe("laptop");
    expect(config.limit).toBe(3);
    expect(config.tickSeconds).toBe(2);
    expect(local).toMatchObject({ port: 9000, host: "0.0.0.0", level: "warn" });
  });

  it("defaults: every queue, no limit, worker 'pushpool', a 5 s tick, the webhook on 127.0.0.1:8787, info", () => {
    const { config, local } = configFor(["--pool", "a"]);
    expect(config.workQueues).toEqual([]);
    expect(config.limit).toBeUndefined();
    expect(config.workerName).toBe("pushpool");
    expect(config.tickSeconds).toBe(5);
    expect(local).toEqual({ port: 8787, host: "127.0.0.1", level: "info", json: false });
  });

  it("read the same settings from the environment; a flag wins over its variable", () => {
    const env = {
      PUSHPOOL_POOLS: "envpool",
      PUSHPOOL_WORK_QUEUES: "q1,q2",
      PUSHPOOL_WORKER_NAME: "envname",
      PUSHPOOL_LIMIT: "7",
      PUSHPOOL_TICK_SECONDS: "9",
      PUSHPOOL_WEBHOOK_PORT: "9100",
      PUSHPOOL_WEBHOOK_HOST: "::1",
      PUSHPOOL_LOG_LEVEL: "debug",
    };
    const fromEnv = configFor([], env);
    expect(fromEnv.config).toMatchObject({
      pools: ["envpool"],
      workQueues: ["q1", "q2"],
      workerName: "envname",
      limit: 7,
      tickSeconds: 9,
    });
    expect(fromEnv.local).toMatchObject({ port: 9100, host: "::1", level: "debug" });
    const flagged = configFor(["--pool", "p", "--limit", "2", "--tick", "1", "--log-level", "error"], env);
    expect(flagged.config).toMatchObject({ pools: ["p"], limit: 2, tickSeconds: 1 });
    expect(flagged.local.level).toBe("error");
  });

  it("a bad flag value is named by its flag, a bad variable by its variable", () => {
    expect(() => configFor(["--tick", "abc"])).toThrow(
      new UsageError("--tick must be a number of seconds, got 'abc'"),
    );
    expect(() => configFor(["--log-level", "loud"])).toThrow(
      "--log-level must be one of debug, info, warning, error, got 'loud'",
    );
    expect(() => configFor(["--name", "a/b"])).toThrow(/^--name must be/);
    expect(() => configFor([], { PUSHPOOL_TICK_SECONDS: "abc" })).toThrow(/PUSHPOOL_TICK_SECONDS/);
    expect(() => configFor([], { PUSHPOOL_LIMIT: "0" })).toThrow(/PUSHPOOL_LIMIT/);
    expect(() => configFor([], { PUSHPOOL_WEBHOOK_PORT: "x" })).toThrow(
      "PUSHPOOL_WEBHOOK_PORT must be a port number (0-65535), got 'x'",
    );
    expect(() => configFor([], { PUSHPOOL_LOG_LEVEL: "verbose" })).toThrow(
      /^PUSHPOOL_LOG_LEVEL must be one of/,
    );
  });

  it("accepts warn for warning, as a convenience", () => {
    expect(configFor(["--log-level", "WARN"]).local.level).toBe("warn");
  });
});
