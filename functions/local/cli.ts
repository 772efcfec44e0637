/**
 * @module
 * `pushpool` — local stack, CI trigger, render, demo. One file per command under ./commands/;
 * this file picks the command, prints help and the version, and turns failures into one line:
 * a mistake in the call (UsageError) → exit 2 with a hint to --help; anything else → exit 1.
 */

import { describeError, PushpoolError } from "../../core/shared/errors.ts";
import { UsageError } from "./args.ts";
import type { Command, CommandIO } from "./commands/command.ts";
import { demoCommand } from "./commands/demo.ts";
import { doctorCommand } from "./commands/doctor.ts";
import { localCommand } from "./commands/local.ts";
import { renderCommand } from "./commands/render.ts";
import { triggerCommand } from "./commands/trigger.ts";
import { versionLine } from "./commands/version.ts";

export const COMMANDS: readonly Command[] = [
  localCommand,
  triggerCommand,
  renderCommand,
  doctorCommand,
  demoCommand,
];

function mainHelp(): string {
  return `pushpool — push work pools for any Prefect 3 server, no worker.

Usage: pushpool <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.synopsis}`).join("\n")}

Options:
  -h, --help     show this help (or a command's: pushpool <command> --help)
  -V, --version  print pushpool's version and the Prefect release it targets

Configuration is read from the environment and the active Prefect profile (see README.md,
"Configuration").`;
}

export async function main(
  argv: string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const [name, ...rest] = argv;
  const io: CommandIO = {
    out: (s) => process.stdout.write(`${s}\n`),
    say: (s) => process.stderr.write(`${s}\n`),
    env,
  };
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === "--version" || name === "-V") {
    io.out(versionLine());
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    const what = name.startsWith("-") ? `unknown option '${name}'` : `unknown command '${name}'`;
    io.say(`pushpool: ${what}\n\n${mainHelp()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.out(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.say(`pushpool ${name}: ${error.message}\nRun 'pushpool ${name} --help' for its options.`);
      return 2;
    }
    io.say(`pushpool ${name}: ${PushpoolError.is(error) ? error.message : describeError(error)}`);
    return 1;
  }
}
