import { createHash } from "node:crypto";

/** Characters and length every target cloud accepts in a resource name: `[a-z0-9-]`, ≤ 63. */
export const TOKEN_PATTERN = /^pp-[0-9a-f]{32}$/;

/**
 * The idempotency token of one claim: stable for every delivery that finds the same Pending claim,
 * new for the next claim of the same run. `pp-` and 32 lowercase hex digits (128 bits of SHA-256):
 * 35 characters, a valid ECS `clientToken`, tag value, Cloud Run job id, Vertex label value and ACI
 * container-group name as it is, leaving room for a backend's prefix within 63.
 */
export function submitToken(flowRunId: string, claimStateId: string): string {
  const digest = createHash("sha256").update(`${flowRunId}:${claimStateId}`).digest("hex");
  return `pp-${digest.slice(0, 32)}`;
}
