/**
 * @module
 * A failed Cloud Tasks CreateTask or Pub/Sub Publish as pushpool's error classes, as
 * functions/aws does for SQS: what retrying can fix (UNAVAILABLE, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, INTERNAL, or no answer at all — a reset or refused connection carries no
 * gRPC code) is a {@link TransientError}, so the message that was being handled is redelivered;
 * anything else is permanent: a request Google refused as it stood (INVALID_ARGUMENT, OUT_OF_RANGE)
 * is a {@link ValidationError}, the rest (NOT_FOUND queue or topic, PERMISSION_DENIED,
 * UNAUTHENTICATED, FAILED_PRECONDITION…) a {@link ConfigError} — the deployment is wrong.
 */
import { GRPC, googleErrorShape } from "../../core/backends/cloud-run-v2/port.ts";
import {
  ConfigError,
  type PushpoolError,
  TransientError,
  ValidationError,
} from "../../core/shared/errors.ts";

/** gRPC codes a retry can fix. */
const TRANSIENT: ReadonlySet<number> = new Set([
  GRPC.UNAVAILABLE,
  GRPC.DEADLINE_EXCEEDED,
  GRPC.RESOURCE_EXHAUSTED,
  GRPC.INTERNAL,
]);

/** Codes of a request refused for its content. */
const INVALID: ReadonlySet<number> = new Set([GRPC.INVALID_ARGUMENT, 11 /* OUT_OF_RANGE */]);

/** Seconds to wait before retrying after throttling (RESOURCE_EXHAUSTED). */
const THROTTLE_RETRY_SECONDS = 5;

/** A Google client error (gRPC or REST) as pushpool's; `doing` prefixes the message. */
export function classifyQueueError(error: unknown, doing: string): PushpoolError {
  const { code, message } = googleErrorShape(error);
  const text = `${doing}: ${code === undefined ? "" : `${codeName(code)} `}${message}`;
  if (code === undefined || TRANSIENT.has(code))
    return new TransientError(text, code === GRPC.RESOURCE_EXHAUSTED ? THROTTLE_RETRY_SECONDS : undefined, {
      cause: error,
    });
  if (INVALID.has(code)) return new ValidationError(text, { cause: error });
  return new ConfigError(text, { cause: error });
}

function codeName(code: number): string {
  const name = Object.entries(GRPC).find(([, c]) => c === code)?.[0];
  return `(${name ?? (code === 11 ? "OUT_OF_RANGE" : code === 12 ? "UNIMPLEMENTED" : `code ${code}`)})`;
}
