/**
 * @module
 * What Prefect's `ProcessJobConfiguration` adds for `process` pools: `stream_output` (a lax
 * pydantic bool, default true), `working_dir` (a normalised POSIX path or null), the worker's own
 * environment under the configured env, and `<python> -m prefect.engine` when no command is set.
 */
import type { Json } from "../prefect/types.ts";
import { JobConfigurationError } from "../template/errors.ts";
import { isPyFloat } from "../template/pyFloat.ts";

const TRUE_WORDS = new Set(["1", "true", "t", "yes", "y", "on"]);
const FALSE_WORDS = new Set(["0", "false", "f", "no", "n", "off"]);

/** pydantic's lax `bool` for `stream_output` (absent → true). */
export function coerceStreamOutput(value: Json | undefined): boolean {
  if (value === undefined) return true;
  if (typeof value === "boolean") return value;
  const n = isPyFloat(value) ? value.value : value;
  if (typeof n === "number" && (n === 0 || n === 1)) return n === 1;
  if (typeof n === "string") {
    const word = n.toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw new JobConfigurationError("stream_output: Input should be a valid boolean");
}

/** pydantic's `Optional[Path]` for `working_dir`, dumped as a string: POSIX-normalised, `""` → `"."`. */
export function coerceWorkingDir(value: Json | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw new JobConfigurationError("working_dir: Input is not a valid path");
  return normalizePosixPath(value);
}

/** Python `str(PurePosixPath(text))`. */
export function normalizePosixPath(text: string): string {
  const leading = text.startsWith("//") && !text.startsWith("///") ? "//" : text.startsWith("/") ? "/" : "";
  const parts = text.split("/").filter((part) => part !== "" && part !== ".");
  const joined = leading + parts.join("/");
  return joined === "" ? "." : joined;
}

/** Python's `shlex.quote`. */
export function shlexQuote(word: string): string {
  if (word === "") return "''";
  if (/^[\w@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'"'"'`)}'`;
}

/** The command a process worker runs when none is configured: `shlex.join([python, "-m", "prefect.engine"])`. */
export function processEngineCommand(pythonExecutable: string): string {
  return [pythonExecutable, "-m", "prefect.engine"].map(shlexQuote).join(" ");
}
