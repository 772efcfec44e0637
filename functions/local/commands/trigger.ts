/**
 * @module
 * `pushpool trigger`: create and dispatch a run through the signed webhook (what a CI job calls).
 */
import { buildSignedRequest } from "../../../core/cli/sign.ts";
import { ValidationError } from "../../../core/shared/errors.ts";
import { parseJson } from "../../../core/template/pyFloat.ts";
import { parseCommandArgs, UsageError } from "../args.ts";
import type { Command } from "./command.ts";

export const triggerCommand: Command = {
  name: "trigger",
  synopsis:
    "trigger <flow/deployment>  create and dispatch a run through the signed webhook (what a CI job calls)",
  help: `Usage: pushpool trigger <flow/deployment|deployment-id> [--param k=v ...] [--job-variable k=v ...]
                        [--idempotency-key KEY] [--scheduled-time ISO] [--url URL] [--key-id ID]

Signs the request with PUSHPOOL_WEBHOOK_SECRET (HMAC-SHA256 over "timestamp.body") and posts it to
--url (PUSHPOOL_WEBHOOK_URL). Values are parsed as JSON when they parse (42, true, {"a":1}), else
taken as strings. Prints the flow run id. Exit code 0 on 202, 1 otherwise.`,
  async run(argv, { out, say, env }) {
    const { values, positionals } = parseCommandArgs(
      argv,
      {
        param: { type: "string", multiple: true, default: [] },
        "job-variable": { type: "string", multiple: true, default: [] },
        "idempotency-key": { type: "string" },
        "scheduled-time": { type: "string" },
        url: { type: "string" },
        "key-id": { type: "string" },
      },
      true,
    );
    const deployment = positionals[0];
    if (!deployment || positionals.length > 1) throw new UsageError("expected exactly one <flow/deployment>");
    const url = values.url ?? env.PUSHPOOL_WEBHOOK_URL;
    const secret = env.PUSHPOOL_WEBHOOK_SECRET;
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
      say(`pushpool trigger: webhook answered ${res.status}: ${text}`);
      return 1;
    }
    const answer = JSON.parse(text) as { flowRunId: string; created: boolean };
    out(`${answer.flowRunId}${answer.created ? "" : " (existing run for this idempotency key)"}`);
    return 0;
  },
};

function keyValues(pairs: string[], flag: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${flag} takes key=value, got '${pair}'`);
    const raw = pair.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = parseJson(raw);
    } catch {}
    result[pair.slice(0, eq)] = value;
  }
  return result;
}
