/**
 * @module
 * The CLI's argument parsing: Node's `parseArgs` with its errors turned into one clean line
 * (`unknown option '--bogus'`) and value checks that name the flag (`--tick must be a number of
 * seconds, got 'abc'`). Every error is a {@link UsageError}: exit code 2 and a hint to `--help`.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

/** A mistake in how the command was called (exit code 2, as a shell usage error). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** Parses `argv` against `options`; throws {@link UsageError} with a message a person reads. */
export function parseCommandArgs<const O extends OptionSpecs>(
  argv: string[],
  options: O,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
}

function describeParseError(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? "";
  switch (e.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option '${quoted}'`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${quoted}'`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const flag = quoted.split(" ")[0] ?? quoted;
      return /does not take/.test(message)
        ? `option '${flag}' takes no value`
        : `option '${flag}' needs a value`;
    }
    default:
      return message;
  }
}

/** A non-negative number of seconds (`--tick 2.5`). */
export function secondsOption(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value) || value < 0)
    throw new UsageError(`${flag} must be a number of seconds, got '${text}'`);
  return value;
}

/** A whole number ≥ 1 (`--limit 4`). */
export function positiveIntegerOption(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value < 1)
    throw new UsageError(`${flag} must be a whole number of at least 1, got '${text}'`);
  return value;
}

/** A TCP port, 0 (any free port) to 65535. */
export function portOption(flag: string, text: string): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || value > 65535)
    throw new UsageError(`${flag} must be a port number (0-65535), got '${text}'`);
  return value;
}

/** One of a fixed set of words (`--log-level debug`). */
export function choiceOption<const C extends string>(flag: string, text: string, choices: readonly C[]): C {
  const value = text.trim().toLowerCase();
  if (!(choices as readonly string[]).includes(value))
    throw new UsageError(`${flag} must be one of ${choices.join(", ")}, got '${text}'`);
  return value as C;
}

/** A name with no '/' or '%' (Prefect refuses those in a worker name). */
export function nameOption(flag: string, text: string): string {
  if (text.trim() === "" || /[/%]/.test(text))
    throw new UsageError(`${flag} must be a name without '/' or '%', got '${text}'`);
  return text;
}

/** `--pool a --pool b` and `--pools a,b` together, in order, without blanks or repeats. */
export function listOption(...values: (string | string[] | undefined)[]): string[] {
  const out: string[] = [];
  for (const v of values.flat())
    for (const item of (v ?? "").split(",").map((s) => s.trim()))
      if (item && !out.includes(item)) out.push(item);
  return out;
}
