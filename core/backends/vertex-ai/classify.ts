/**
 * @module
 * Vertex's errors → pushpool's, on the Cloud Run backend's Google error rules (shared: one Google
 * error format, one rule for what retrying fixes and for what may have been applied), with the
 * Vertex wording: a 404 on create is the wrong region or project.
 */
import { type PushpoolError, SubmitError } from "../../shared/errors.ts";
import { classifyGoogleError, isNotFound } from "../cloud-run-v2/classify.ts";
import { GRPC, googleErrorShape } from "../cloud-run-v2/port.ts";

export { classifyGoogleError, isNotFound, mayHaveStarted } from "../cloud-run-v2/classify.ts";

export function isFailedPrecondition(error: unknown): boolean {
  return googleErrorShape(error).code === GRPC.FAILED_PRECONDITION;
}

/** CreateCustomJob's errors. */
export function classifyCreateError(error: unknown, parent: string, region: string): PushpoolError {
  if (isNotFound(error))
    return new SubmitError(
      `Failed to find resources at ${parent}. Confirm that region '${region}' is the correct region for your Vertex AI job and that the project is the correct GCP project.`,
      { cause: error },
    );
  return classifyGoogleError(error, "Failed to create Vertex AI custom job");
}
