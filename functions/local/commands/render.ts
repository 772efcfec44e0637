/**
 * @module
 * `pushpool render <flow-run-id>`: the job configuration and backend request, without submitting.
 */
import { indentJson, stringifyJson } from "../../../core/prefect/json.ts";
import { parseCommandArgs, UsageError } from "../args.ts";
import { renderForFlowRun } from "../render.ts";
import type { Command } from "./command.ts";
import { prefectEnv } from "./prefectEnv.ts";

export const renderCommand: Command = {
  name: "render",
  synopsis:
    "render <flow-run-id>       print the rendered job configuration and backend request, without submitting",
  help: `Usage: pushpool render <flow-run-id> [--pool NAME]

Prints the job configuration pushpool would render for the run (from its work pool's base job
template, the deployment's and the run's job variables) and the backend request, without
submitting anything. Credentials in the output are masked. Prefect settings come from the
environment, else from the active Prefect profile.`,
  async run(argv, { out, say, env }) {
    const { values, positionals } = parseCommandArgs(argv, { pool: { type: "string" } }, true);
    const flowRunId = positionals[0];
    if (!flowRunId || positionals.length > 1) throw new UsageError("expected one <flow-run-id>");
    const rendered = await renderForFlowRun(flowRunId, { env: prefectEnv(env, say).env, pool: values.pool });
    out(indentJson(stringifyJson(rendered)));
    return 0;
  },
};
