/**
 * @module
 * The environment a flow process started by `pushpool local` inherits, computed in one place for
 * the stack that spawns it and for `pushpool render` that shows it: this process's environment (as
 * under Prefect's process worker, whose flows inherit the worker's), minus pushpool's webhook
 * secrets and minus what npm adds when it launches a command (`npm_*`, `INIT_CWD`) — a flow
 * started by `prefect worker start` from the same shell gets neither, and neither depends on
 * whether pushpool was started through npm.
 */

const OWN_SECRETS = new Set(["PUSHPOOL_WEBHOOK_SECRET", "PUSHPOOL_WEBHOOK_KEYS"]);

/** True for a variable npm sets for the command it runs (npm_config_*, npm_package_*, npm_lifecycle_*…). */
export function isNpmLauncherVariable(name: string): boolean {
  return name.startsWith("npm_") || name === "INIT_CWD";
}

export function flowEnvironment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const inherited: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env))
    if (!OWN_SECRETS.has(key) && !isNpmLauncherVariable(key)) inherited[key] = value;
  return inherited;
}
