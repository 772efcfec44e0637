/**
 * @module
 * HMAC-SHA256 request signing for the webhook.
 *
 * Scheme (Stripe-like):
 * - `X-Pushpool-Timestamp: <unix seconds>`
 * - `X-Pushpool-Signature: v1=<hex hmac-sha256(secret, "<timestamp>.<raw body>")>`
 *
 * The signature header may carry several comma-separated `v1=` values (a client signing with the old
 * and the new secret while they are rotated), and the verifier may hold several secrets. Entries with
 * another scheme (`v0=…`) are ignored. Comparison is constant-time; the timestamp must be within
 * ±`toleranceSeconds` of `now`. No error text ever contains a secret or an expected signature.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** Header carrying the signing time, in unix seconds. Names are lower-case, as the handler receives them. */
export const TIMESTAMP_HEADER = "x-pushpool-timestamp";
/** Header carrying one or more `v1=<hex>` signatures. */
export const SIGNATURE_HEADER = "x-pushpool-signature";
/** Optional header naming the key (from `PUSHPOOL_WEBHOOK_KEYS`) the request is signed with. */
export const KEY_ID_HEADER = "x-pushpool-key-id";
/** Allowed clock skew between signer and verifier, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Signature values beyond this many in one header are ignored (bounds the work per request). */
const MAX_SIGNATURES = 8;
const HEX_SHA256 = /^[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

/** Why a signature was rejected. Each maps to a precise error code in the webhook response. */
export type SignatureFailure =
  | "missing_timestamp"
  | "missing_signature"
  | "malformed_timestamp"
  | "malformed_signature"
  | "stale_timestamp"
  | "future_timestamp"
  | "bad_signature";

/** Result of {@link verify}. On success, `signature` is the matching `v1` value (lower-case hex). */
export type VerifyResult =
  | { ok: true; secretIndex: number; signature: string }
  | { ok: false; reason: SignatureFailure; message: string };

/** What {@link verify} checks. */
export interface VerifyInput {
  /** One secret, or several (rotation, or several keys): any one of them may have signed. */
  secrets: string | readonly string[];
  /** Raw `X-Pushpool-Timestamp` header value. */
  timestamp: string | undefined;
  /** Raw `X-Pushpool-Signature` header value. */
  signature: string | undefined;
  /** The raw request body, exactly as received. */
  body: Uint8Array | string;
  now: Date;
  /** Allowed skew either way, in seconds. Default 300. */
  toleranceSeconds?: number;
}

function digest(secret: string, timestamp: string, body: Uint8Array | string): Buffer {
  return createHmac("sha256", secret).update(`${timestamp}.`, "utf8").update(body).digest();
}

/**
 * Hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret` (the value after `v1=`).
 *
 * @example
 * sign("s3cret-s3cret-s3cret", 1700000000, '{"deployment":"etl/daily"}') // → "9f…" (64 hex chars)
 */
export function sign(secret: string, timestamp: number | string, body: Uint8Array | string): string {
  return digest(secret, String(timestamp), body).toString("hex");
}

/** The full `X-Pushpool-Signature` value: `v1=<hex>` for each secret, comma-separated. */
export function signatureHeader(
  secrets: string | readonly string[],
  timestamp: number | string,
  body: Uint8Array | string,
): string {
  const list = typeof secrets === "string" ? [secrets] : secrets;
  return list.map((s) => `v1=${sign(s, timestamp, body)}`).join(",");
}

/** Unix seconds of a date, as the timestamp header carries them. */
export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

/**
 * Verifies a signed request. Checks, in order: both headers present, the timestamp is unix seconds,
 * it lies within ±`toleranceSeconds` of `now`, the signature header holds at least one well-formed
 * `v1=` value, and one of them equals the HMAC under one of `secrets` (constant-time compare).
 * Never throws for any input.
 */
export function verify(input: VerifyInput): VerifyResult {
  const tolerance = input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const timestamp = input.timestamp?.trim();
  if (!timestamp) {
    return fail("missing_timestamp", "missing X-Pushpool-Timestamp header (unix seconds)");
  }
  const signatureValue = input.signature?.trim();
  if (!signatureValue) {
    return fail("missing_signature", "missing X-Pushpool-Signature header (v1=<hex hmac-sha256>)");
  }
  if (!UNIX_SECONDS.test(timestamp)) {
    return fail("malformed_timestamp", "X-Pushpool-Timestamp must be an integer number of unix seconds");
  }
  const skew = Number(timestamp) - unixSeconds(input.now);
  if (skew < -tolerance) {
    return fail(
      "stale_timestamp",
      `X-Pushpool-Timestamp is ${-skew} s in the past; at most ${tolerance} s are accepted (check the signer's clock, or re-sign)`,
    );
  }
  if (skew > tolerance) {
    return fail(
      "future_timestamp",
      `X-Pushpool-Timestamp is ${skew} s in the future; at most ${tolerance} s are accepted (check the signer's clock)`,
    );
  }
  const candidates = parseSignatures(signatureValue);
  if (candidates.length === 0) {
    return fail(
      "malformed_signature",
      "X-Pushpool-Signature must hold one or more comma-separated v1=<64 hex chars> values",
    );
  }
  const secrets = typeof input.secrets === "string" ? [input.secrets] : input.secrets;
  for (const [secretIndex, secret] of secrets.entries()) {
    const expected = digest(secret, timestamp, input.body);
    for (const candidate of candidates) {
      // Both buffers are 32 bytes (the candidate is 64 hex chars), as timingSafeEqual requires.
      if (timingSafeEqual(expected, candidate.bytes)) {
        return { ok: true, secretIndex, signature: candidate.hex };
      }
    }
  }
  return fail("bad_signature", "signature does not match the body and timestamp under any configured secret");
}

/**
 * A stable, non-reversible token for one signed request (used to derive idempotency keys): the
 * SHA-256 of the signature, so neither the signature nor anything about the secret leaks from it.
 */
export function signatureFingerprint(signature: string): string {
  return createHash("sha256").update(signature.toLowerCase(), "utf8").digest("hex").slice(0, 40);
}

function parseSignatures(header: string): { hex: string; bytes: Buffer }[] {
  const out: { hex: string; bytes: Buffer }[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== "v1") continue;
    const hex = part.slice(eq + 1).trim();
    if (!HEX_SHA256.test(hex)) continue;
    out.push({ hex: hex.toLowerCase(), bytes: Buffer.from(hex, "hex") });
    if (out.length >= MAX_SIGNATURES) break;
  }
  return out;
}

function fail(reason: SignatureFailure, message: string): VerifyResult {
  return { ok: false, reason, message };
}
