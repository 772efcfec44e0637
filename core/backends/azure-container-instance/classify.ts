/**
 * @module
 * Which Azure Resource Manager failures are worth retrying, and which ones certainly started
 * nothing. Throttling (429), 5xx, a deployment of the same name still running (409
 * `DeploymentActive`) and no answer at all → {@link TransientError}; an invalid template or a
 * missing resource group → {@link InvalidJobConfigurationError} with ARM's own message; anything
 * else (authorisation…) → {@link SubmitError}. Messages carry ARM's `code: message`, never the
 * request (which holds the secure environment values).
 */
import {
  InvalidJobConfigurationError,
  type PushpoolError,
  PushpoolError as PushpoolErrorClass,
  SubmitError,
  TransientError,
} from "../../shared/errors.ts";

/** Seconds before retrying after throttling, a 5xx or a busy deployment. */
export const AZURE_RETRY_SECONDS = 5;

const INVALID_CODES = new Set([
  "InvalidTemplate",
  "InvalidTemplateDeployment",
  "InvalidRequestContent",
  "InvalidDeploymentParameterKey",
  "InvalidContainerGroupName",
  "ResourceGroupNotFound",
  "InvalidParameter",
  "BadRequest",
]);

export interface AzureErrorShape {
  statusCode?: number;
  code?: string;
  message: string;
}

/** The parts of an `@azure/core-rest-pipeline` RestError (or any thrown value) looked at. */
export function azureErrorShape(error: unknown): AzureErrorShape {
  if (typeof error !== "object" || error === null) return { message: String(error) };
  const e = error as { statusCode?: unknown; code?: unknown; message?: unknown };
  return {
    statusCode: typeof e.statusCode === "number" ? e.statusCode : undefined,
    code: typeof e.code === "string" ? e.code : undefined,
    message: typeof e.message === "string" ? e.message : String(error),
  };
}

/** A 404 from ARM. */
export function isNotFound(error: unknown): boolean {
  return azureErrorShape(error).statusCode === 404;
}

/** Throttling, 5xx, timeouts, no answer, a busy deployment. */
export function isTransientAzureError(error: unknown): boolean {
  const e = azureErrorShape(error);
  // No HTTP answer at all (reset, timeout, DNS): the request may or may not have arrived.
  if (e.statusCode === undefined) return true;
  return e.statusCode === 408 || e.statusCode === 429 || e.statusCode >= 500 || e.code === "DeploymentActive";
}

/**
 * False when a failed deployment PUT certainly started nothing: ARM answered with a 4xx (throttling
 * included — ARM throttles before acting). True for no answer, a 408, a 5xx, and a 409
 * `DeploymentActive` (a deployment of this very name is running: perhaps this claim's).
 */
export function mayHaveStarted(error: unknown): boolean {
  const raw = error instanceof Error && error.cause !== undefined ? error.cause : error;
  const { statusCode, code } = azureErrorShape(raw);
  if (code === "DeploymentActive") return true;
  return !(statusCode !== undefined && statusCode >= 400 && statusCode < 500 && statusCode !== 408);
}

/** `code: message`, with the subscription id masked (a secret string in Prefect's model). */
function reason(e: AzureErrorShape, subscriptionId?: string): string {
  const text = `${e.code ?? (e.statusCode ? `HTTP ${e.statusCode}` : "Error")}: ${e.message}`;
  return subscriptionId && subscriptionId.length >= 4 ? text.split(subscriptionId).join("**********") : text;
}

/** Generic classification; `what` prefixes the message; `subscriptionId` is masked in it. */
export function classifyAzureError(error: unknown, what: string, subscriptionId?: string): PushpoolError {
  if (PushpoolErrorClass.is(error)) return error;
  const e = azureErrorShape(error);
  if (isTransientAzureError(error))
    return new TransientError(`${what}: ${reason(e, subscriptionId)}`, AZURE_RETRY_SECONDS, { cause: error });
  return new SubmitError(`${what}: ${reason(e, subscriptionId)}`, { cause: error });
}

/** Classifies a failed deployment PUT. */
export function classifyDeployError(
  error: unknown,
  resourceGroup: string,
  subscriptionId?: string,
): PushpoolError {
  if (PushpoolErrorClass.is(error)) return error;
  const e = azureErrorShape(error);
  const what = "Failed to deploy the ACI container group";
  if (e.code === "ResourceGroupNotFound")
    return new InvalidJobConfigurationError(
      `resource_group_name: resource group '${resourceGroup}' was not found in the subscription. (${reason(e, subscriptionId)})`,
      { cause: error },
    );
  if (e.statusCode === 400 || (e.code && INVALID_CODES.has(e.code)))
    return new InvalidJobConfigurationError(`arm_template: ${what}: ${reason(e, subscriptionId)}`, {
      cause: error,
    });
  return classifyAzureError(error, what, subscriptionId);
}
