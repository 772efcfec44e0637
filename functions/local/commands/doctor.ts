/**
 * @module
 * `pushpool doctor`: the start-up checks plus each pool's infrastructure checks (../doctor.ts),
 * printed as a table. Exit code 0 only when every check passes.
 */
import { createRedactor } from "../../../core/shared/redact.ts";
import { listOption, type OptionSpecs, parseCommandArgs } from "../args.ts";
import { doctorRows, formatTable } from "../doctor.ts";
import type { Command } from "./command.ts";
import { prefectEnv } from "./prefectEnv.ts";

const DOCTOR_OPTIONS = {
  pool: { type: "string", short: "p", multiple: true },
  pools: { type: "string" },
} as const satisfies OptionSpecs;

export const doctorCommand: Command = {
  name: "doctor",
  synopsis:
    "doctor                     check the configuration (API, credentials, pools, infrastructure) and print a table",
  help: `Usage: pushpool doctor [--pool NAME ...]

Runs the start-up checks (API reachable, URL, credentials, pools exist and are served) and the
checks each pool's backend can make of its infrastructure (process: the Python has prefect; ecs:
the cluster exists, the task definition registers with its roles, subnets resolve), then prints a
table: check, result, fix. Exit code 0 when every check passes, 1 otherwise.

Options:
  -p, --pool NAME  a work pool to check (repeatable; --pools a,b also works)  PUSHPOOL_POOLS`,
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, DOCTOR_OPTIONS);
    const flagged = { ...io.env };
    const pools = listOption(values.pool, values.pools);
    if (pools.length) flagged.PUSHPOOL_POOLS = pools.join(",");
    const { env } = prefectEnv(flagged, io.say);
    const rows = await doctorRows(env);
    io.out(formatTable(rows, createRedactor([env.PREFECT_API_KEY, env.PREFECT_API_AUTH_STRING])));
    const failed = rows.filter((r) => !r.ok).length;
    io.out(failed ? `\n${failed} check(s) failed.` : "\nAll checks passed.");
    return failed ? 1 : 0;
  },
};
