/**
 * @module
 * The `process` backend's own setting, read by the runtime that wires it (the local stack): the
 * Python that runs flows of pools whose template sets no command — `PUSHPOOL_PYTHON`, else the
 * interpreter of `prefect` on PATH, else the clone's `.venv/bin/python` (./python.ts), as Prefect's
 * process worker runs flows with its own interpreter.
 */
import { join, resolve } from "node:path";
import type { LocalBackendOptions } from "./index.ts";
import { type PythonChoice, resolvePython } from "./python.ts";
import { readHead } from "./pythonCheck.ts";

/** `.venv/bin/python` of the clone this code runs from (`npm run setup` makes it). */
export const CLONE_PYTHON = join(resolve(import.meta.dirname, "..", "..", ".."), ".venv", "bin", "python");

/** The Python `process` flows run with on this machine, and where the choice came from. */
export function pythonFromEnv(env: Record<string, string | undefined>): PythonChoice {
  return resolvePython(env, { readText: readHead, clonePython: CLONE_PYTHON });
}

export function processSettingsFromEnv(
  env: Record<string, string | undefined>,
): Pick<LocalBackendOptions, "pythonExecutable" | "pythonSource"> {
  const { python, source } = pythonFromEnv(env);
  return { pythonExecutable: python, pythonSource: source };
}
