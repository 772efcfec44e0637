import { describe, expect, it } from "vitest";
import { ConfigError, TransientError, ValidationError } from "../../../core/shared/errors.ts";
import {
  classifyStorageError,
  decodeBody,
  encodeBody,
  MAX_STORAGE_QUEUE_DELAY_SECONDS,
  visibilitySeconds,
} from "../../../functions/azure/queue.ts";

const rest = (statusCode: number | undefined, code?: string) =>
  Object.assign(new Error(`${code ?? "failure"}\nRequestId:x`), { name: "RestError", statusCode, code });

describe("StorageQueue helpers", () => {
  it("a delay becomes whole seconds of visibility, capped at 7 days, 0 for nothing usable", () => {
    expect(visibilitySeconds(undefined)).toBe(0);
    expect(visibilitySeconds(-3)).toBe(0);
    expect(visibilitySeconds(Number.NaN)).toBe(0);
    expect(visibilitySeconds(2.9)).toBe(2);
    expect(visibilitySeconds(1e12)).toBe(MAX_STORAGE_QUEUE_DELAY_SECONDS);
    expect(MAX_STORAGE_QUEUE_DELAY_SECONDS).toBe(604_800);
  });

  it("bodies are base64 of the JSON, as the host's default encoding expects", () => {
    const message = { v: 1, kind: "dispatch", flowRunId: "x", pool: "p", source: "é" } as never;
    const encoded = encodeBody(message);
    expect(encoded).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(decodeBody(encoded))).toEqual(message);
  });

  it("errors come back in core's classes with Azure's code and only the first line", () => {
    const throttled = classifyStorageError(rest(503, "ServerBusy"), "send");
    expect(throttled).toBeInstanceOf(TransientError);
    expect(throttled.message).toBe("send: ServerBusy (503) ServerBusy");
    expect(classifyStorageError(new Error("ECONNRESET"), "send")).toBeInstanceOf(TransientError);
    const missing = classifyStorageError(rest(404, "QueueNotFound"), "send");
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toMatch(/QueueNotFound.*PUSHPOOL_QUEUE_NAME/);
    expect(classifyStorageError(rest(403, "AuthorizationFailure"), "send").message).toMatch(
      /Storage Queue Data Message Sender/,
    );
    expect(classifyStorageError(rest(413, "RequestBodyTooLarge"), "send")).toBeInstanceOf(ValidationError);
  });
});
