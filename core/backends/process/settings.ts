/**
 * @module
 * The `process` backend's own setting, read by the runtime that wires it (the local stack):
 * `PUSHPOOL_PYTHON`, the Python that runs flows of pools whose template sets no command (default
 * `python` on PATH), as Prefect's process worker runs its own interpreter.
 */
import { ConfigError } from "../../shared/errors.ts";
import type { LocalBackendOptions } from "./index.ts";

export function processSettingsFromEnv(
  env: Record<string, string | undefined>,
): Pick<LocalBackendOptions, "pythonExecutable"> {
  const python = env.PUSHPOOL_PYTHON;
  if (python === undefined) return {};
  if (python.trim() === "") throw new ConfigError("PUSHPOOL_PYTHON is set but empty: a Python executable");
  return { pythonExecutable: python };
}
