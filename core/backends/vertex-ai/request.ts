/**
 * @module
 * `VertexBackend.prepare` (pure): a rendered `vertex-ai` job configuration → the
 * {@link VertexRequest}: the CustomJob body without what depends on the claim (./customJob.ts,
 * ./labels.ts), the pool's credentials and region, and the display name's stem. Plus the light
 * reader `inspect` and `kill` use (credentials only: a pid names its own region).
 */
import type { JobConfiguration } from "../../job/types.ts";
import type { BackendContext } from "../../ports/backend.ts";
import type { PlainObject } from "../../shared/plain.ts";
import { readGcpCredentials } from "../cloud-run-v2/credentials.ts";
import { buildCustomJobSpec, prepareJobSpec } from "./customJob.ts";
import { vertexLabels } from "./labels.ts";
import type { GcpCredentialsData } from "./port.ts";
import { readCredentials, readVertexSettings } from "./settings.ts";

export interface VertexRequest {
  flowRunId: string;
  credentials: GcpCredentialsData | null;
  region: string;
  /** The display name's stem: the configuration's `name` (Python's `f"{name}-…"`: `None` when null). */
  displayNameStem: string;
  /** Prefect's prepared `job_spec` (snake_case), as its worker holds it before building the CustomJob. */
  preparedJobSpec: PlainObject;
  /** The CreateCustomJob body: `jobSpec` and `labels` (display name and token label added per claim). */
  job: { jobSpec: PlainObject; labels: Record<string, string> };
  /** False when the service account is the credentials' own and must be asked for (ADC, a key file). */
  serviceAccountKnown: boolean;
}

export function prepareVertexRequest(config: JobConfiguration, ctx: BackendContext): VertexRequest {
  const settings = readVertexSettings(config);
  const auth = readGcpCredentials(settings.credentials);
  const email = auth.kind === "key" ? auth.key.client_email : undefined;
  const { jobSpec, needsServiceAccount } = prepareJobSpec({
    jobSpec: settings.jobSpec,
    env: config.env,
    command: config.command,
    credentialsEmail: typeof email === "string" && email ? email : null,
  });
  return {
    flowRunId: ctx.flowRun.id,
    credentials: settings.credentials,
    region: settings.region,
    displayNameStem: config.name ?? "None",
    preparedJobSpec: jobSpec,
    job: { jobSpec: buildCustomJobSpec(jobSpec), labels: vertexLabels(config.labels) },
    serviceAccountKnown: !needsServiceAccount,
  };
}

/** The credentials of a (re-)rendered configuration, or null when they no longer read. */
export function locate(config: JobConfiguration): GcpCredentialsData | null {
  try {
    return readCredentials(config);
  } catch {
    return null;
  }
}
