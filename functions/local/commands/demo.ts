/**
 * @module
 * `pushpool demo`: a real Prefect server, a pool, a deployment and the local stack, end to end.
 */
import { parseCommandArgs } from "../args.ts";
import type { Command } from "./command.ts";

export const demoCommand: Command = {
  name: "demo",
  synopsis:
    "demo                       start a local Prefect server and show pushpool running flows end to end",
  help: `Usage: pushpool demo [--keep]

Starts a real Prefect server (pinned in .venv/), creates a process pool and a deployment, runs the
local stack, triggers one run through the signed webhook and lets two arrive by schedule, then
prints a table. Exit code 0 when every run Completed. With --keep, the server (with its UI) and
pushpool stay up afterwards until Ctrl-C, and the UI's address is printed.`,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { keep: { type: "boolean" } });
    const { runDemo } = await import("../demo.ts");
    return await runDemo({ keep: values.keep === true });
  },
};
