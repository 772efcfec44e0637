/**
 * @module
 * The pool's `aci_credentials` (an `AzureContainerInstanceCredentials` block's data, rendered into
 * the job configuration) → how the runtime authenticates, by Prefect's rule
 * (prefect_azure/credentials.py): client id, tenant id and client secret all three → a
 * client-secret credential; none of them → `DefaultAzureCredential` (in a Function App: its
 * managed identity); some but not all → the block's own validation error. `credential_kwargs` go to
 * the credential either way. The secret is kept behind a function and never appears in an error.
 */
import type { Json } from "../../prefect/types.ts";
import { InvalidJobConfigurationError } from "../../shared/errors.ts";
import { isPlainObject, plain } from "../../shared/plain.ts";
import type { AzureCredentialChoice } from "./port.ts";

const AUTH_FIELDS = ["client_id", "tenant_id", "client_secret"] as const;

function invalid(message: string): InvalidJobConfigurationError {
  return new InvalidJobConfigurationError(`aci_credentials: ${message}`);
}

/** The credential for a rendered `aci_credentials` value (absent or null → the default credential). */
export function azureCredentialOf(value: Json | undefined): AzureCredentialChoice {
  if (value === undefined || value === null) return { kind: "default", options: {} };
  if (!isPlainObject(value)) throw invalid("Input should be a valid dictionary or instance of the block");
  const block = value as Record<string, Json>;
  const present = AUTH_FIELDS.filter((key) => block[key] !== undefined && block[key] !== null);
  for (const key of present)
    if (typeof block[key] !== "string") throw invalid(`${key}: Input should be a valid string`);
  const kwargs = block.credential_kwargs;
  if (kwargs !== undefined && kwargs !== null && !isPlainObject(kwargs))
    throw invalid("credential_kwargs: Input should be a valid dictionary");
  const options = kwargs ? (plain(kwargs) as Record<string, unknown>) : {};
  if (present.length === 0) return { kind: "default", options };
  if (present.length < AUTH_FIELDS.length)
    throw invalid(
      "If any of `client_id`, `tenant_id`, or `client_secret` are provided, all must be provided.",
    );
  const secret = block.client_secret as string;
  return {
    kind: "client-secret",
    tenantId: block.tenant_id as string,
    clientId: block.client_id as string,
    clientSecret: () => secret,
    options,
  };
}
