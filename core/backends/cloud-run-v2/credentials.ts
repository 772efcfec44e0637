/**
 * @module
 * A pool's GcpCredentials block (prefect-gcp `GcpCredentials`: `service_account_info` — a JSON key
 * as an object or a JSON string —, `service_account_file`, `project`) read as Prefect's block reads
 * it, and the rule that picks the project every Cloud Run name is under:
 *
 * 1. the block's `project`;
 * 2. else, with a key (info or file), the key's `project_id`;
 * 3. else the project Application Default Credentials detect (the function's own identity).
 *
 * Pure: the runtime reads a key file and asks ADC (functions/gcp/cloudRunApi.ts), core decides.
 * Key material never appears in an error message.
 */
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import type { GcpCredentialsData } from "./port.ts";

/** How the runtime authenticates for one pool. */
export type GcpAuth =
  | { kind: "adc"; project: string | null }
  | { kind: "key"; key: Record<string, unknown>; project: string | null }
  | { kind: "keyFile"; file: string; project: string | null };

function invalid(message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`credentials: ${message}`);
}

function optionalString(data: GcpCredentialsData, key: string): string | null {
  const value = Object.hasOwn(data, key) ? data[key] : undefined;
  if (value === undefined || value === null) return null;
  if (typeof value !== "string") throw invalid(`${key}: Input should be a valid string`);
  return value;
}

/** The key of `service_account_info`: an object, or a JSON string of one (as prefect-gcp decodes it). */
function keyOf(info: unknown): Record<string, unknown> | null {
  if (info === undefined || info === null) return null;
  let value = info;
  if (typeof info === "string") {
    if (info === "") return null;
    try {
      value = JSON.parse(info);
    } catch {
      throw invalid("service_account_info: Unable to decode service_account_info");
    }
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw invalid("service_account_info: Input should be a valid dictionary");
  const key = value as Record<string, unknown>;
  return Object.keys(key).length > 0 ? key : null;
}

/**
 * The block's data → how to authenticate. Refuses a block with both a key and a key file (as the
 * block does: "Only one of service_account_info or service_account_file can be specified at once").
 */
export function readGcpCredentials(data: GcpCredentialsData | null | undefined): GcpAuth {
  if (data === null || data === undefined) return { kind: "adc", project: null };
  if (typeof data !== "object" || Array.isArray(data)) throw invalid("Input should be a valid dictionary");
  const project = optionalString(data, "project") || null;
  const key = keyOf(Object.hasOwn(data, "service_account_info") ? data.service_account_info : undefined);
  const file = optionalString(data, "service_account_file") || null;
  if (key && file)
    throw invalid("Only one of service_account_info or service_account_file can be specified at once");
  if (key) {
    // google-auth signs with it (and so does prefect-gcp's block); without it the SDK clients fail
    // later, in background stubs whose rejection is nobody's. Refused here, as Prefect refuses it.
    if (typeof key.private_key !== "string" || key.private_key === "")
      throw invalid("service_account_info: The private_key field was not found in the service account info.");
    return { kind: "key", key, project };
  }
  if (file) return { kind: "keyFile", file, project };
  return { kind: "adc", project };
}

/** The `project_id` of a service-account key, or null. */
export function keyProject(key: Record<string, unknown> | null | undefined): string | null {
  const id = key?.project_id;
  return typeof id === "string" && id !== "" ? id : null;
}

/**
 * The project rule: the block's project, else the key's `project_id`, else what ADC detects.
 * `detect` is only called when needed; null from it (or no project anywhere) is a precise error.
 */
export async function chooseProject(
  auth: GcpAuth,
  keyFromFile: () => Promise<Record<string, unknown> | null>,
  detect: () => Promise<string | null>,
): Promise<string> {
  if (auth.project) return auth.project;
  if (auth.kind === "key") {
    const fromKey = keyProject(auth.key);
    if (fromKey) return fromKey;
  }
  if (auth.kind === "keyFile") {
    const fromFile = keyProject(await keyFromFile());
    if (fromFile) return fromFile;
  }
  const detected = auth.kind === "adc" ? await detect() : null;
  if (detected) return detected;
  throw invalid(
    auth.kind === "adc"
      ? "No GCP project: set `project` on the GcpCredentials block, or run where Application Default Credentials name one (GOOGLE_CLOUD_PROJECT)."
      : "No GCP project: set `project` on the GcpCredentials block; the service account key has no project_id.",
  );
}
