/**
 * @module
 * What Prefect's `ProcessJobConfiguration` adds for `process` pools: `stream_output` (a lax
 * pydantic bool, default true), `working_dir` (a normalised POSIX path or null), the worker's own
 * environment under the configured env, and `<python> -m prefect.engine` when no command is set.
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { PreparedContext } from "../../ports/backend.ts";
import type { Json } from "../../prefect/types.ts";
import { laxBool } from "../../shared/fields.ts";
import { JobConfigurationError } from "../../template/errors.ts";
import { copyDict, pyEntries, setOwn } from "../../template/pyDict.ts";

/** pydantic's lax `bool` for `stream_output` (absent → true). */
export function coerceStreamOutput(value: Json | undefined): boolean {
  if (value === undefined) return true;
  const bool = laxBool(value);
  if (bool !== undefined) return bool;
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

/**
 * The `process` part of `prepare_for_flow_run`: flows inherit the worker's environment under the
 * configured env; `stream_output` and `working_dir` coerced; `<python> -m prefect.engine` when the
 * template sets no command.
 */
export function adaptProcessPrepared(
  prepared: JobConfiguration,
  ctx: PreparedContext,
  pythonExecutable: string,
): JobConfiguration {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.env)) if (value !== undefined) setOwn(env, key, value);
  for (const [key, value] of pyEntries(prepared.env)) setOwn(env, key, value);
  const adapted = copyDict<Json | undefined>(prepared) as JobConfiguration; // keeps the key order
  adapted.env = env;
  adapted.stream_output = coerceStreamOutput(ctx.rendered.stream_output);
  adapted.working_dir = coerceWorkingDir(ctx.rendered.working_dir);
  adapted.command = ctx.rendered.command ?? processEngineCommand(pythonExecutable);
  return adapted;
}
