/**
 * @module
 * `pushpool` — local stack, CI trigger, render, demo.
 */

import { parseArgs } from "node:util";
import { buildSignedRequest } from "../../core/cli/sign.ts";
import { indentJson, stringifyJson } from "../../core/prefect/json.ts";
import { loadConfig } from "../../core/runtime/config.ts";
import { describeError, PushpoolError, ValidationError } from "../../core/shared/errors.ts";
import { parseJson } from "../../core/template/pyFloat.ts";
import { parseWebhookConfig } from "../../core/webhook/config.ts";
import { doctorCommand } from "./doctor.ts";
import { consoleLogger } from "./logger.ts";
import { localPreflight } from "./preflight.ts";
import { renderForFlowRun } from "./render.ts";
import { startLocalStack } from "./stack.ts";

const HELP: Record<string, string> = {
  main: `pushpool — push work pools for any Prefect 3 server, no worker.

Usage: pushpool <command> [options]

Commands:
  local                      run the local stack (tick, queue, webhook, process backend) against PREFECT_API_URL
  trigger <flow/deployment>  create and dispatch a run through the signed webhook (what a CI job calls)
  render <flow-run-id>       print the rendered job configuration and backend request, without submitting
  demo                       start a local Prefect server and show pushpool running flows end to end
  doctor                     check the configuration (API, credentials, pools, infrastructure) and print a table

Run 'pushpool <command> --help' for a command's options. Configuration is read from the environment
(see README.md, "Configuration").`,
  local: `Usage: pushpool local [--pools a,b] [--type process] [--port N] [--tick SECONDS]

Serves the given work pools (PUSHPOOL_POOLS) of type 'process' from this machine, with no worker:
ticks every --tick seconds (PUSHPOOL_TICK_SECONDS, default 5 here), heartbeats, dispatches due runs,
reconciles, and serves the signed webhook on --port (PUSHPOOL_WEBHOOK_PORT, default 8787) when
PUSHPOOL_WEBHOOK_SECRET or PUSHPOOL_WEBHOOK_KEYS is set. Start-up checks the API, the credentials,
the pools and the Python that runs flows, and exits with the fix when one fails; with --type, a
missing pool is created with that type (as 'prefect worker start --type' does).`,
  trigger: `Usage: pushpool trigger <flow/deployment|deployment-id> [--param k=v ...] [--job-variable k=v ...]
                        [--idempotency-key KEY] [--scheduled-time ISO] [--url URL] [--key-id ID]

Signs the request with PUSHPOOL_WEBHOOK_SECRET (HMAC-SHA256 over "timestamp.body") and posts it to
--url (PUSHPOOL_WEBHOOK_URL). Values are parsed as JSON when they parse (42, true, {"a":1}), else
taken as strings. Prints the flow run id. Exit code 0 on 202, 1 otherwise.`,
  render: `Usage: pushpool render <flow-run-id> [--pool NAME]

Prints the job configuration pushpool would render for the run (from its work pool's base job
template, the deployment's and the run's job variables) and the backend request, without
submitting anything. Credentials in the output are masked.`,
  demo: `Usage: pushpool demo [--keep]

Starts a real Prefect server (pinned in .venv/), creates a process pool and a deployment, runs the
local stack, triggers one run through the signed webhook and lets two arrive by schedule, then
prints a table. Exit code 0 when every run Completed. With --keep, the server (with its UI) and
pushpool stay up afterwards until Ctrl-C, and the UI's address is printed.`,
  doctor: `Usage: pushpool doctor [--pools a,b]

Runs the start-up checks (API reachable, URL, credentials, pools exist and are served) and the
checks each pool's backend can make of its infrastructure (process: the Python has prefect; ecs:
the cluster exists, the task definition registers with its roles, subnets resolve), then prints a
table: check, result, fix. Exit code 0 when every check passes, 1 otherwise.`,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const out = (s: string) => process.stdout.write(`${s}\n`);
  try {
    if (!command || command === "--help" || command === "-h" || command === "help") {
      out(HELP.main ?? "");
      return command ? 0 : 2;
    }
    if (!(command in HELP)) {
      process.stderr.write(`pushpool: unknown command '${command}'\n\n${HELP.main}\n`);
      return 2;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      out(HELP[command] ?? "");
      return 0;
    }
    switch (command) {
      case "local":
        return await local(rest);
      case "trigger":
        return await triggerCommand(rest, out);
      case "render":
        return await renderCommand(rest, out);
      case "doctor":
        return await doctorCommand(rest, out);
      default: {
        const { runDemo } = await import("./demo.ts");
        return await runDemo({ keep: rest.includes("--keep") });
      }
    }
  } catch (error) {
    process.stderr.write(
      `pushpool ${command}: ${PushpoolError.is(error) ? error.message : describeError(error)}\n`,
    );
    return 1;
  }
}

async function local(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      pools: { type: "string" },
      type: { type: "string" },
      port: { type: "string" },
      tick: { type: "string" },
    },
  });
  const env = { ...process.env };
  if (values.pools) env.PUSHPOOL_POOLS = values.pools;
  if (values.tick) env.PUSHPOOL_TICK_SECONDS = values.tick;
  env.PUSHPOOL_TICK_SECONDS ??= "5";
  const config = loadConfig(env);
  if (config.pools.length === 0)
    throw new ValidationError("no work pools to serve: pass --pools or set PUSHPOOL_POOLS");
  const logger = consoleLogger({ json: env.PUSHPOOL_LOG_FORMAT === "json" });
  const hasSecret = Boolean(env.PUSHPOOL_WEBHOOK_SECRET || env.PUSHPOOL_WEBHOOK_KEYS);
  const port = Number(values.port ?? env.PUSHPOOL_WEBHOOK_PORT ?? 8787);
  await localPreflight({ config, env, createType: values.type, logger });
  const stack = await startLocalStack({
    config,
    env,
    logger,
    webhook: hasSecret ? { keys: parseWebhookConfig(env), port } : undefined,
  });
  logger.info("pushpool local stack running", {
    pools: config.pools.join(","),
    tickSeconds: config.tickSeconds,
    webhook: stack.webhookUrl ?? "off (set PUSHPOOL_WEBHOOK_SECRET to enable)",
  });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await stack.stop();
  return 0;
}

async function triggerCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      param: { type: "string", multiple: true, default: [] },
      "job-variable": { type: "string", multiple: true, default: [] },
      "idempotency-key": { type: "string" },
      "scheduled-time": { type: "string" },
      url: { type: "string" },
      "key-id": { type: "string" },
    },
  });
  const deployment = positionals[0];
  if (!deployment || positionals.length > 1)
    throw new ValidationError("expected exactly one <flow/deployment>");
  const url = values.url ?? process.env.PUSHPOOL_WEBHOOK_URL;
  const secret = process.env.PUSHPOOL_WEBHOOK_SECRET;
  if (!url) throw new ValidationError("no webhook URL: pass --url or set PUSHPOOL_WEBHOOK_URL");
  if (!secret) throw new ValidationError("no secret: set PUSHPOOL_WEBHOOK_SECRET");
  const body: Record<string, unknown> = { deployment };
  const parameters = keyValues(values.param, "--param");
  const jobVariables = keyValues(values["job-variable"], "--job-variable");
  if (Object.keys(parameters).length) body.parameters = parameters;
  if (Object.keys(jobVariables).length) body.jobVariables = jobVariables;
  if (values["idempotency-key"]) body.idempotencyKey = values["idempotency-key"];
  if (values["scheduled-time"]) body.scheduledTime = values["scheduled-time"];
  const req = buildSignedRequest({ url, secret, keyId: values["key-id"], body, now: new Date() });
  const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body });
  const text = await res.text();
  if (res.status !== 202) {
    process.stderr.write(`pushpool trigger: webhook answered ${res.status}: ${text}\n`);
    return 1;
  }
  const answer = JSON.parse(text) as { flowRunId: string; created: boolean };
  out(`${answer.flowRunId}${answer.created ? "" : " (existing run for this idempotency key)"}`);
  return 0;
}

async function renderCommand(argv: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { pool: { type: "string" } },
  });
  const flowRunId = positionals[0];
  if (!flowRunId) throw new ValidationError("expected a <flow-run-id>");
  const rendered = await renderForFlowRun(flowRunId, { env: process.env, pool: values.pool });
  out(indentJson(stringifyJson(rendered)));
  return 0;
}

function keyValues(pairs: string[], flag: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new ValidationError(`${flag} takes key=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = parseJson(raw);
    } catch {}
    result[pair.slice(0, eq)] = value;
  }
  return result;
}
