import { describe, expect, it } from "vitest";
import {
  classifyCreateError,
  classifyGoogleError,
  mayHaveStarted,
} from "../../../core/backends/cloud-run-v2/classify.ts";
import { googleErrorShape } from "../../../core/backends/cloud-run-v2/port.ts";
import { SubmitError, TransientError } from "../../../core/shared/errors.ts";

/** What gaxios throws over REST: the HTTP status, Google's JSON body as the message. */
const rest = (status: number, grpcStatus: string, message = "m") =>
  Object.assign(new Error(JSON.stringify({ error: { code: status, message, status: grpcStatus } })), {
    status,
    code: status,
  });
const network = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });

describe("Google errors over REST", () => {
  it("reads the gRPC code from the body's status, else from the HTTP status, else a GoogleError's code", () => {
    expect(googleErrorShape(rest(404, "NOT_FOUND", "no such job"))).toEqual({
      code: 5,
      status: 404,
      message: "no such job",
    });
    expect(googleErrorShape(Object.assign(new Error("<html>busy</html>"), { status: 503 })).code).toBe(14);
    expect(googleErrorShape(Object.assign(new Error("exists"), { code: 6 })).code).toBe(6);
    expect(googleErrorShape(network()).code).toBeUndefined();
  });

  it("a refusal certainly started nothing; no answer, a 5xx or an unknown failure may have", () => {
    for (const e of [
      rest(400, "INVALID_ARGUMENT"),
      rest(403, "PERMISSION_DENIED"),
      rest(429, "RESOURCE_EXHAUSTED"),
    ])
      expect(mayHaveStarted(e)).toBe(false);
    for (const e of [
      rest(503, "UNAVAILABLE"),
      rest(500, "INTERNAL"),
      rest(504, "DEADLINE_EXCEEDED"),
      network(),
    ])
      expect(mayHaveStarted(e)).toBe(true);
    // through a classified error, as core's protocol sees it
    expect(mayHaveStarted(classifyGoogleError(rest(503, "UNAVAILABLE"), "run"))).toBe(true);
    expect(mayHaveStarted(classifyGoogleError(rest(400, "INVALID_ARGUMENT"), "run"))).toBe(false);
  });

  it("transient: throttling, 5xx and no answer; a refusal is a SubmitError with Google's message", () => {
    expect(classifyGoogleError(rest(429, "RESOURCE_EXHAUSTED"), "x")).toBeInstanceOf(TransientError);
    expect(classifyGoogleError(network(), "x")).toBeInstanceOf(TransientError);
    const refused = classifyGoogleError(rest(400, "INVALID_ARGUMENT", "bad memory"), "Failed to run");
    expect(refused).toBeInstanceOf(SubmitError);
    expect(refused.message).toBe("Failed to run: bad memory");
  });

  it("CreateJob's 404 is Prefect's region/project hint", () => {
    const error = classifyCreateError(rest(404, "NOT_FOUND"), { project: "acme", region: "mars-1" });
    expect(error).toBeInstanceOf(SubmitError);
    expect(error.message).toContain("Confirm that region 'mars-1' is the correct region");
    expect(error.message).toContain("acme is the correct GCP project");
  });
});
