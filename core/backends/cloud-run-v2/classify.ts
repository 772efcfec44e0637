/**
 * @module
 * Google errors → pushpool's: what retrying can fix (throttling, 5xx, no answer) is a
 * TransientError; a refusal is a SubmitError with Google's message (Prefect's wording for a 404 on
 * create: wrong region or project). And the start-once rule: a failed call may have been applied
 * unless Google answered with a client error (it refuses before it acts).
 */
import { type PushpoolError, SubmitError, TransientError } from "../../shared/errors.ts";
import { GRPC, googleErrorShape } from "./port.ts";

/** gRPC codes of answers that certainly applied nothing (the request was refused as it stood). */
const REFUSED: ReadonlySet<number> = new Set([
  GRPC.INVALID_ARGUMENT,
  GRPC.NOT_FOUND,
  GRPC.ALREADY_EXISTS,
  GRPC.PERMISSION_DENIED,
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.FAILED_PRECONDITION,
  GRPC.UNAUTHENTICATED,
  11, // OUT_OF_RANGE
  12, // UNIMPLEMENTED
]);

/** Codes worth retrying: throttling, unavailable, deadline, internal, aborted, unknown. */
const TRANSIENT: ReadonlySet<number> = new Set([
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.UNAVAILABLE,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.INTERNAL,
  GRPC.ABORTED,
  GRPC.UNKNOWN,
  GRPC.CANCELLED,
]);

function raw(error: unknown): unknown {
  return error instanceof Error && error.cause !== undefined ? error.cause : error;
}

/** False only when Google answered with a refusal (see {@link REFUSED}); looks through a classified error. */
export function mayHaveStarted(error: unknown): boolean {
  const { code } = googleErrorShape(raw(error));
  return !(code !== undefined && REFUSED.has(code));
}

export function isNotFound(error: unknown): boolean {
  return googleErrorShape(error).code === GRPC.NOT_FOUND;
}

export function isAlreadyExists(error: unknown): boolean {
  return googleErrorShape(error).code === GRPC.ALREADY_EXISTS;
}

/** A Google error as pushpool's, prefixed with what was being done. */
export function classifyGoogleError(error: unknown, doing: string): PushpoolError {
  const { code, message } = googleErrorShape(error);
  if (code === undefined || TRANSIENT.has(code))
    return new TransientError(`${doing}: ${message}`, code === GRPC.RESOURCE_EXHAUSTED ? 5 : undefined, {
      cause: error,
    });
  return new SubmitError(`${doing}: ${message}`, { cause: error });
}

/** CreateJob's errors; a 404 is Prefect's "check region and project" message. */
export function classifyCreateError(
  error: unknown,
  where: { region: string; project: string },
): PushpoolError {
  if (isNotFound(error))
    return new SubmitError(
      `Failed to find resources at projects/${where.project}/locations/${where.region}. Confirm that region '${where.region}' is the correct region for your Cloud Run Job and that ${where.project} is the correct GCP project. If your project ID is not correct, you are using a Credentials block with permissions for the wrong project.`,
      { cause: error },
    );
  return classifyGoogleError(error, "Failed to create Cloud Run job");
}
