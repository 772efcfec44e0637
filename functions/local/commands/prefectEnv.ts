/**
 * @module
 * The environment a command that talks to Prefect uses: this process's, with the active Prefect
 * profile's settings where the environment leaves them unset (../profiles.ts), as `prefect` itself
 * resolves PREFECT_API_URL, PREFECT_API_KEY, PREFECT_API_AUTH_STRING…
 */
import { ConfigError } from "../../../core/shared/errors.ts";
import { type PrefectProfile, withPrefectProfile } from "../profiles.ts";

export function prefectEnv(
  env: Record<string, string | undefined>,
  say: (line: string) => void,
): { env: Record<string, string | undefined>; profile: PrefectProfile } {
  const merged = withPrefectProfile(env);
  if (merged.profile.warning) say(`warning: ${merged.profile.warning}`);
  if (!merged.env.PREFECT_API_URL?.trim())
    throw new ConfigError(
      "PREFECT_API_URL is not set: export it (e.g. http://127.0.0.1:4200/api) or set it in your Prefect profile " +
        "(prefect config set PREFECT_API_URL=…)",
    );
  return merged;
}

/** Where the API URL came from, for the banner: `profile 'dev'` or `environment`. */
export function apiUrlSource(env: Record<string, string | undefined>, profile: PrefectProfile): string {
  return env.PREFECT_API_URL?.trim() ? "environment" : `profile '${profile.name}'`;
}
