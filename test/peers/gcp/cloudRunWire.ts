/**
 * The wire side of the Cloud Run v2 fake (./cloudRunFake.ts): Google's JSON error answers, and the
 * check of a request body against the SDK's own protos — a field the proto type does not have, or
 * a value the proto3 JSON serializer cannot read, is a 400 INVALID_ARGUMENT, as Google answers.
 */
import gax from "google-gax";
import { runType, unknownFields } from "../../../functions/gcp/protoJson.ts";

/** An answer with Google's error body `{"error": {"code", "message", "status"}}`. */
export class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly status: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks `body` against `google.cloud.run.v2.<typeName>`; `at` names it in the message (`job`, `*`). */
export function verifyBody(typeName: string, body: Record<string, unknown> | null, at: string): void {
  const type = runType(`google.cloud.run.v2.${typeName}`);
  const unknown = unknownFields(type, body ?? {});
  if (unknown.length > 0)
    throw new HttpError(
      400,
      "INVALID_ARGUMENT",
      `Invalid JSON payload received. Unknown name "${unknown[0]}" at '${at}': Cannot find field.`,
    );
  try {
    gax.serializer.fromProto3JSON(type, (body ?? {}) as never);
  } catch (error) {
    throw new HttpError(
      400,
      "INVALID_ARGUMENT",
      `Invalid JSON payload received at '${at}': ${(error as Error).message}`,
    );
  }
}
