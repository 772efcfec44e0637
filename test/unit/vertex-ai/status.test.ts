import { describe, expect, it } from "vitest";
import { customJobStatus, isTerminal } from "../../../core/backends/vertex-ai/status.ts";

const job = (state: string, message?: string) => ({
  name: "projects/p/locations/us-central1/customJobs/1",
  displayName: "dancing-dolphin-0123",
  state,
  ...(message ? { error: { code: 3, message } } : {}),
});

describe("customJobStatus: every JobState", () => {
  it.each([
    ["JOB_STATE_UNSPECIFIED", "pending"],
    ["JOB_STATE_QUEUED", "pending"],
    ["JOB_STATE_PENDING", "pending"],
    ["JOB_STATE_RUNNING", "running"],
    ["JOB_STATE_CANCELLING", "running"],
    ["JOB_STATE_PAUSED", "running"],
    ["JOB_STATE_UPDATING", "running"],
    ["JOB_STATE_SUCCEEDED", "succeeded"],
    ["JOB_STATE_FAILED", "failed"],
    ["JOB_STATE_CANCELLED", "failed"],
    ["JOB_STATE_EXPIRED", "failed"],
    ["JOB_STATE_PARTIALLY_SUCCEEDED", "failed"],
    ["JOB_STATE_FROM_THE_FUTURE", "running"],
  ])("%s → %s", (state, expected) => {
    expect(customJobStatus(job(state)).state).toBe(expected);
  });

  it("exit 0 only for SUCCEEDED; 1 with Prefect's message otherwise", () => {
    expect(customJobStatus(job("JOB_STATE_SUCCEEDED"))).toEqual({ state: "succeeded", exitCode: 0 });
    expect(
      customJobStatus(
        job("JOB_STATE_FAILED", "The replica workerpool0-0 exited with a non-zero status of 1."),
      ),
    ).toEqual({
      state: "failed",
      exitCode: 1,
      reason:
        "Vertex AI job dancing-dolphin-0123 failed: The replica workerpool0-0 exited with a non-zero status of 1.",
    });
  });

  it("a cancellation's CANCELED message is not repeated (as the worker skips logging it)", () => {
    expect(customJobStatus(job("JOB_STATE_CANCELLED", "CANCELED")).reason).toBe(
      "Vertex AI job dancing-dolphin-0123 cancelled",
    );
    expect(customJobStatus(job("JOB_STATE_EXPIRED", "Queued too long")).reason).toBe(
      "Vertex AI job dancing-dolphin-0123 expired: Queued too long",
    );
  });

  it("isTerminal", () => {
    expect(isTerminal(job("JOB_STATE_CANCELLING"))).toBe(false);
    expect(isTerminal(job("JOB_STATE_CANCELLED"))).toBe(true);
  });
});
