/**
 * @module
 * Prefect profiles, read the way Prefect 3 reads them (prefect/settings/sources.py,
 * `ProfileSettingsTomlLoader`), so `prefect config set PREFECT_API_URL=…` configures pushpool too:
 *
 * - the file: `PREFECT_PROFILES_PATH`, else `profiles_path` in ./prefect.toml, else
 *   `[tool.prefect] profiles_path` in ./pyproject.toml, else `$PREFECT_HOME/profiles.toml`, else
 *   `~/.prefect/profiles.toml` (a `.env` file is not read);
 * - the profile: `PREFECT_PROFILE`, else the file's `active`;
 * - a missing file, or an active profile the file does not have, gives Prefect's packaged default
 *   profile, which sets nothing pushpool reads (Prefect warns for the latter; so does pushpool);
 *   a file that is not TOML is ignored with a warning, as Prefect does;
 * - Prefect's test mode (`PREFECT_TEST_MODE`…) reads no profile.
 *
 * The environment wins: a profile's setting is used only where the variable is unset or blank.
 */
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";

export interface PrefectProfile {
  /** The profiles file consulted (undefined when none exists). */
  path?: string;
  /** The profile whose settings were used. */
  name?: string;
  /** Its settings, as environment strings. */
  settings: Record<string, string>;
  /** What a person should know (a missing profile, a file that is not TOML). */
  warning?: string;
}

export interface ProfileSources {
  /** Where ./prefect.toml and ./pyproject.toml are looked for (default: the working directory). */
  cwd?: string;
  /** The user's home directory (default: `os.homedir()`). */
  home?: string;
}

const TEST_MODE = [
  "PREFECT_TEST_MODE",
  "PREFECT_UNIT_TEST_MODE",
  "PREFECT_TESTING_UNIT_TEST_MODE",
  "PREFECT_TESTING_TEST_MODE",
];

/** The active Prefect profile's settings for this environment. */
export function readPrefectProfile(
  env: Record<string, string | undefined>,
  sources: ProfileSources = {},
): PrefectProfile {
  if (TEST_MODE.some((name) => env[name])) return { settings: {} };
  const path = profilesPath(env, sources);
  if (!path || !existsSync(path)) return { settings: {} };
  let contents: Record<string, unknown>;
  try {
    contents = parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch (error) {
    const why = (error as Error).message.split("\n")[0];
    return {
      path,
      settings: {},
      warning: `Prefect profiles in ${path} are not valid TOML (${why}); ignored`,
    };
  }
  const fromEnv = Boolean(env.PREFECT_PROFILE);
  const name = env.PREFECT_PROFILE || (typeof contents.active === "string" ? contents.active : undefined);
  const profiles = isTable(contents.profiles) ? contents.profiles : {};
  const chosen = name !== undefined ? profiles[name] : undefined;
  if (name === undefined) return { path, settings: {} };
  if (!isTable(chosen)) {
    const source = fromEnv ? "by PREFECT_PROFILE" : "in the profiles file";
    return {
      path,
      settings: {},
      warning: `active Prefect profile '${name}' set ${source} not found in ${path}; no profile settings used`,
    };
  }
  const settings: Record<string, string> = {};
  for (const [key, value] of Object.entries(chosen)) {
    const text = settingText(value);
    if (text !== undefined) settings[key.toUpperCase()] = text;
  }
  return { path, name, settings };
}

/** `env` with the active profile's settings filled in where `env` leaves them unset or blank. */
export function withPrefectProfile(
  env: Record<string, string | undefined>,
  sources: ProfileSources = {},
): { env: Record<string, string | undefined>; profile: PrefectProfile } {
  const profile = readPrefectProfile(env, sources);
  const merged = { ...env };
  for (const [key, value] of Object.entries(profile.settings))
    if (merged[key] === undefined || merged[key]?.trim() === "") merged[key] = value;
  return { env: merged, profile };
}

function profilesPath(env: Record<string, string | undefined>, sources: ProfileSources): string | undefined {
  if (env.PREFECT_PROFILES_PATH) return env.PREFECT_PROFILES_PATH;
  const cwd = sources.cwd ?? process.cwd();
  const fromToml = tomlString(join(cwd, "prefect.toml"), ["profiles_path"]);
  if (fromToml) return resolve(cwd, fromToml);
  const fromPyproject = tomlString(join(cwd, "pyproject.toml"), ["tool", "prefect", "profiles_path"]);
  if (fromPyproject) return resolve(cwd, fromPyproject);
  if (env.PREFECT_HOME) return join(env.PREFECT_HOME, "profiles.toml");
  return join(sources.home ?? homedir(), ".prefect", "profiles.toml");
}

function tomlString(path: string, keys: string[]): string | undefined {
  if (!existsSync(path)) return undefined;
  let node: unknown;
  try {
    node = parse(readFileSync(path, "utf8"));
  } catch {
    return undefined; // not ours to judge; Prefect fails on it itself
  }
  for (const key of keys) node = isTable(node) ? node[key] : undefined;
  return typeof node === "string" && node !== "" ? node : undefined;
}

function settingText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  if (Array.isArray(value) || isTable(value)) return JSON.stringify(value);
  return undefined;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
