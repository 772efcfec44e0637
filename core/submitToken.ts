import { createHash } from "node:crypto";

/**
 * The idempotency token of one claim: stable for every delivery that finds the same Pending claim,
 * new for the next claim of the same run. 35 characters of [A-Za-z0-9_-], within ECS clientToken's
 * 64 and usable in resource names after lower-casing by the backend.
 */
export function submitToken(flowRunId: string, claimStateId: string): string {
  const digest = createHash("sha256").update(`${flowRunId}:${claimStateId}`).digest("base64url");
  return `pp-${digest.slice(0, 32)}`;
}
