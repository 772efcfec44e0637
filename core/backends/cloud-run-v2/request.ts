/**
 * @module
 * `CloudRunBackend.prepare` (pure): a rendered `cloud-run-v2` job configuration → the
 * {@link CloudRunRequest}: the CreateJob body (./jobBody.ts), the pool's credentials and region,
 * `keep_job`, and the name the job id's slug comes from. Plus the light reader `inspect`, `kill`
 * and `cleanup` use (credentials, region, keep_job only: a pid must stay reachable even when the
 * rest of a re-rendered configuration no longer validates).
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { BackendContext } from "../../ports/backend.ts";
import type { Logger } from "../../ports/logger.ts";
import { laxBool } from "../../shared/fields.ts";
import { isPlainObject, type PlainObject, plain } from "../../shared/plain.ts";
import { buildJobBody } from "./jobBody.ts";
import type { GcpCredentialsData } from "./port.ts";
import { DEFAULT_REGION, readCloudRunSettings, type SecretKeySelector } from "./settings.ts";

export interface CloudRunRequest {
  flowRunId: string;
  credentials: GcpCredentialsData | null;
  region: string;
  keepJob: boolean;
  /** The configuration's `name` (the job id's slug). */
  name: string | null;
  /** The CreateJob body (REST JSON). */
  job: PlainObject;
}

export interface CloudRunDefaults {
  /** Image for a container the template gives none. */
  image?: string;
  /** Secret Manager secret of the Prefect API key, for pools that name none (the key then never travels in plaintext). */
  prefectApiKeySecret?: SecretKeySelector;
  /** Secret Manager secret of the Prefect API auth string (self-hosted basic auth), likewise for pools that name none. */
  prefectApiAuthStringSecret?: SecretKeySelector;
}

export function prepareCloudRunRequest(
  config: JobConfiguration,
  ctx: BackendContext,
  options: { logger: Logger; defaults?: CloudRunDefaults },
): CloudRunRequest {
  const settings = readCloudRunSettings(config);
  // The pool's own secret (its field or an `env_from_secrets` entry of the same name) wins.
  const fallbackKey = options.defaults?.prefectApiKeySecret;
  if (!settings.apiKeySecret && fallbackKey && !Object.hasOwn(settings.envFromSecrets, "PREFECT_API_KEY"))
    settings.apiKeySecret = fallbackKey;
  const fallbackAuth = options.defaults?.prefectApiAuthStringSecret;
  if (
    !settings.authStringSecret &&
    fallbackAuth &&
    !Object.hasOwn(settings.envFromSecrets, "PREFECT_API_AUTH_STRING")
  )
    settings.authStringSecret = fallbackAuth;
  const job = buildJobBody({
    settings,
    env: config.env,
    labels: config.labels,
    flowRunId: ctx.flowRun.id,
    logger: options.logger,
    defaultImage: options.defaults?.image,
  });
  return {
    flowRunId: ctx.flowRun.id,
    credentials: settings.credentials,
    region: settings.region,
    keepJob: settings.keepJob,
    name: config.name,
    job,
  };
}

/** Where a pid lives and whether to keep it, from a (re-)rendered configuration. */
export function locate(config: JobConfiguration): {
  credentials: GcpCredentialsData | null;
  region: string;
  keepJob: boolean;
} {
  const creds = Object.hasOwn(config, "credentials") ? config.credentials : undefined;
  const region = Object.hasOwn(config, "region") ? config.region : undefined;
  const keep = Object.hasOwn(config, "keep_job") ? config.keep_job : undefined;
  return {
    credentials: isPlainObject(creds) ? (plain(creds) as GcpCredentialsData) : null,
    region: typeof region === "string" && region ? region : DEFAULT_REGION,
    keepJob: laxBool(keep) ?? false,
  };
}
