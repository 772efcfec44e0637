/**
 * @module
 * `pushpool local`: the local stack, with `prefect worker start`'s options. Each flag is the
 * environment variable of the same setting (the flag wins): the flags only fill an environment
 * map, which `loadConfig` reads as it reads a cloud function's, so both paths mean the same.
 * Add an option: a line in LOCAL_OPTIONS, a line in {@link localFlagsToEnv}, a line of help.
 */
import { loadConfig } from "../../../core/runtime/config.ts";
import { ConfigError } from "../../../core/shared/errors.ts";
import { parseWebhookConfig } from "../../../core/webhook/config.ts";
import {
  choiceOption,
  listOption,
  nameOption,
  type OptionSpecs,
  parseCommandArgs,
  portOption,
  positiveIntegerOption,
  secondsOption,
} from "../args.ts";
import { consoleLogger, LOG_LEVELS, logLevel } from "../logger.ts";
import { localPreflight } from "../preflight.ts";
import { startLocalStack } from "../stack.ts";
import type { Command } from "./command.ts";
import { localBanner, stoppedLine } from "./localBanner.ts";
import { prefectEnv } from "./prefectEnv.ts";

export const LOCAL_OPTIONS = {
  pool: { type: "string", short: "p", multiple: true },
  pools: { type: "string" },
  type: { type: "string", short: "t" },
  "work-queue": { type: "string", short: "q", multiple: true },
  name: { type: "string", short: "n" },
  limit: { type: "string", short: "l" },
  tick: { type: "string" },
  port: { type: "string" },
  host: { type: "string" },
  "log-level": { type: "string" },
} as const satisfies OptionSpecs;

type LocalValues = ReturnType<typeof parseCommandArgs<typeof LOCAL_OPTIONS>>["values"];

/** Default tick for `pushpool local` (a cloud scheduler's is 60 s). */
const LOCAL_TICK_SECONDS = "5";

/** The environment `local` runs with: `env` plus each given flag as its variable (checked, named by flag). */
export function localFlagsToEnv(
  values: LocalValues,
  env: Record<string, string | undefined>,
): Record<string, string | undefined> {
  const out = { ...env };
  const pools = listOption(values.pool, values.pools);
  if (pools.length) out.PUSHPOOL_POOLS = pools.join(",");
  const queues = listOption(values["work-queue"]);
  if (queues.length) out.PUSHPOOL_WORK_QUEUES = queues.join(",");
  if (values.name !== undefined) out.PUSHPOOL_WORKER_NAME = nameOption("--name", values.name);
  if (values.limit !== undefined) out.PUSHPOOL_LIMIT = String(positiveIntegerOption("--limit", values.limit));
  if (values.tick !== undefined) out.PUSHPOOL_TICK_SECONDS = String(secondsOption("--tick", values.tick));
  if (values.port !== undefined) out.PUSHPOOL_WEBHOOK_PORT = String(portOption("--port", values.port));
  if (values.host !== undefined) out.PUSHPOOL_WEBHOOK_HOST = values.host;
  if (values["log-level"] !== undefined)
    out.PUSHPOOL_LOG_LEVEL = choiceOption(
      "--log-level",
      values["log-level"].replace(/^warn$/i, "warning"),
      LOG_LEVELS,
    );
  if (!out.PUSHPOOL_TICK_SECONDS?.trim()) out.PUSHPOOL_TICK_SECONDS = LOCAL_TICK_SECONDS;
  return out;
}

/** The local-only settings loadConfig does not read: webhook bind address and log level. */
export function localSettings(env: Record<string, string | undefined>) {
  const portText = env.PUSHPOOL_WEBHOOK_PORT?.trim() || "8787";
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    throw new ConfigError(`PUSHPOOL_WEBHOOK_PORT must be a port number (0-65535), got '${portText}'`);
  const host = env.PUSHPOOL_WEBHOOK_HOST?.trim() || "127.0.0.1";
  const levelText = env.PUSHPOOL_LOG_LEVEL?.trim() || "info";
  const level = logLevel(levelText);
  if (!level)
    throw new ConfigError(`PUSHPOOL_LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got '${levelText}'`);
  return { port, host, level, json: env.PUSHPOOL_LOG_FORMAT === "json" };
}

export const localCommand: Command = {
  name: "local",
  synopsis:
    "local                      run the local stack (tick, queue, webhook, process backend) against PREFECT_API_URL",
  help: `Usage: pushpool local --pool NAME [--pool NAME ...] [options]

Serves work pools of type 'process' from this machine, as 'prefect worker start' does, with no
worker: ticks every --tick seconds, heartbeats, dispatches due runs, reconciles, and serves the
signed webhook when PUSHPOOL_WEBHOOK_SECRET or PUSHPOOL_WEBHOOK_KEYS is set. Each option can be
set by its environment variable instead; the option wins. Start-up checks the API, the
credentials, the pools and the Python that runs flows, and exits with the fix when one fails.

Options:
  -p, --pool NAME        a work pool to serve (repeatable; --pools a,b also works)  PUSHPOOL_POOLS
  -t, --type TYPE        create a missing pool with this type, as 'prefect worker start --type' does
  -q, --work-queue NAME  only runs from this work queue (repeatable; default all)   PUSHPOOL_WORK_QUEUES
  -n, --name NAME        the worker name heartbeats and run labels carry (pushpool) PUSHPOOL_WORKER_NAME
  -l, --limit N          the most flow runs running at once (default no limit)      PUSHPOOL_LIMIT
      --tick SECONDS     how often to look for due runs (default 5)               PUSHPOOL_TICK_SECONDS
      --port N           webhook port (default 8787)                              PUSHPOOL_WEBHOOK_PORT
      --host ADDRESS     webhook bind address (default 127.0.0.1)                 PUSHPOOL_WEBHOOK_HOST
      --log-level LEVEL  debug, info, warning or error (default info)             PUSHPOOL_LOG_LEVEL

Prefect settings (PREFECT_API_URL, PREFECT_API_KEY, PREFECT_API_AUTH_STRING) come from the
environment, else from the active Prefect profile (PREFECT_PROFILE, ~/.prefect/profiles.toml).`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, LOCAL_OPTIONS);
    const flagged = localFlagsToEnv(values, io.env);
    const { env, profile } = prefectEnv(flagged, io.say);
    const config = loadConfig(env);
    if (config.pools.length === 0)
      throw new ConfigError("no work pools to serve: pass --pool NAME or set PUSHPOOL_POOLS");
    const local = localSettings(env);
    const logger = consoleLogger({ level: local.level, json: local.json });
    // Start-up checks: the API, the credentials, the pools (created with --type), the Python.
    await localPreflight({ config, env, createType: values.type, logger });
    const hasSecret = Boolean(env.PUSHPOOL_WEBHOOK_SECRET || env.PUSHPOOL_WEBHOOK_KEYS);
    const stack = await startLocalStack({
      config,
      env,
      logger,
      webhook: hasSecret ? { keys: parseWebhookConfig(env), port: local.port, host: local.host } : undefined,
    }).catch((error) => {
      throw bindError(error, local);
    });
    const banner = localBanner({
      config,
      profile,
      apiFromEnv: Boolean(flagged.PREFECT_API_URL?.trim()),
      stack,
    });
    if (local.json) logger.info("pushpool local stack running", banner.fields);
    else for (const line of banner.lines) io.say(line);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    const running = stack.running();
    io.say(`${signal === "SIGINT" ? "\n" : ""}pushpool local: stopping…`);
    await stack.stop();
    io.say(stoppedLine(running));
    return 0;
  },
};

/** A webhook port in use or an address not of this machine → one line with the fix. */
function bindError(error: unknown, local: { port: number; host: string }): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new ConfigError(`port ${local.port} is in use: pass --port or set PUSHPOOL_WEBHOOK_PORT`);
  if (code === "EACCES")
    return new ConfigError(`port ${local.port} needs privileges to bind: pass a --port above 1023`);
  if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND" || code === "EAI_AGAIN")
    return new ConfigError(`cannot listen on '${local.host}': not an address of this machine (--host)`);
  return error;
}
