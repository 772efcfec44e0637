/**
 * @module
 * What every `pushpool` command is: a name, a one-line summary for `pushpool --help`, its own
 * `--help` text, and `run`, which returns the exit code. A mistake in the call is a UsageError
 * (../args.ts); anything else that fails is reported by the CLI as one line, exit code 1.
 */
export interface Command {
  name: string;
  /** `local                      run the local stack …` in `pushpool --help`. */
  synopsis: string;
  help: string;
  run(argv: string[], io: CommandIO): Promise<number>;
}

export interface CommandIO {
  /** The command's result (stdout). */
  out(line: string): void;
  /** Messages for a person (stderr). */
  say(line: string): void;
  env: Record<string, string | undefined>;
}
