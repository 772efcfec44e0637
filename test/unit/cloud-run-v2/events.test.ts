/**
 * core/backends/cloud-run-v2/events.ts: which execution a log entry names (the shapes Cloud
 * Logging gives a `cloud_run_job` entry and an audit entry), and an execution read from the API as
 * the infrastructure event core applies, with the same verdict as `inspect`.
 */
import { describe, expect, it } from "vitest";
import {
  executionEvent,
  executionNameIn,
  FLOW_RUN_LABEL,
} from "../../../core/backends/cloud-run-v2/events.ts";

const EXECUTION =
  "projects/p1/locations/europe-west1/jobs/etl-0123456789abcdef/executions/etl-0123456789abcdef-x7k2p";
const RUN = "5b1c7a0e-3d2f-4e8a-9b6c-1f0e2d3c4b5a";

describe("executionNameIn", () => {
  it("reads a cloud_run_job entry: resource labels and the execution_name label", () => {
    expect(
      executionNameIn({
        resource: {
          type: "cloud_run_job",
          labels: { project_id: "p1", location: "europe-west1", job_name: "etl-0123456789abcdef" },
        },
        labels: { "run.googleapis.com/execution_name": "etl-0123456789abcdef-x7k2p" },
      }),
    ).toBe(EXECUTION);
  });

  it("reads an audit entry's resourceName (v2 form, and v1 namespaces form with the entry's location)", () => {
    expect(executionNameIn({ protoPayload: { resourceName: EXECUTION } })).toBe(EXECUTION);
    expect(
      executionNameIn({
        protoPayload: { resourceName: "namespaces/p1/executions/etl-0123456789abcdef-x7k2p" },
        resource: { labels: { location: "europe-west1" } },
      }),
    ).toBe(EXECUTION);
  });

  it("reads a message that is itself an Execution", () => {
    expect(executionNameIn({ name: EXECUTION, labels: {} })).toBe(EXECUTION);
  });

  it("gives null for anything else", () => {
    for (const entry of [
      null,
      "text",
      [],
      {},
      { textPayload: "x", resource: { type: "gce_instance", labels: { project_id: "p1" } } },
      {
        resource: { labels: { project_id: "p1", location: "l", job_name: "Bad_Name" } },
        labels: { "run.googleapis.com/execution_name": "e" },
      },
      { protoPayload: { resourceName: "projects/p1/locations/l/jobs/j" } },
      { name: "projects/p1/locations/l/services/s" },
    ])
      expect(executionNameIn(entry), JSON.stringify(entry)).toBeNull();
  });
});

describe("executionEvent", () => {
  const base = { name: EXECUTION, labels: { [FLOW_RUN_LABEL]: RUN }, createTime: "2026-12-07T01:00:00Z" };

  it("not pushpool's (no flow-run label, or not a uuid) → null", () => {
    expect(executionEvent({ name: EXECUTION })).toBeNull();
    expect(executionEvent({ name: EXECUTION, labels: { [FLOW_RUN_LABEL]: "x" } })).toBeNull();
  });

  it("not started → provisioning; started → running; the pid is the job's short id", () => {
    expect(executionEvent(base)).toMatchObject({
      source: "cloud-run-v2",
      flowRunId: RUN,
      pid: "etl-0123456789abcdef",
      phase: "provisioning",
      createdAt: "2026-12-07T01:00:00Z",
      exit: null,
    });
    expect(executionEvent({ ...base, startTime: "2026-12-07T01:00:05Z" })?.phase).toBe("running");
  });

  it("completed successfully → stopped with exit 0, no crash", () => {
    const event = executionEvent({
      ...base,
      completionTime: "2026-12-07T01:02:00Z",
      conditions: [{ type: "Completed", state: "CONDITION_SUCCEEDED" }],
    });
    expect(event).toMatchObject({ phase: "stopped", exit: { exitCode: 0 }, crashed: false, diagnosis: null });
  });

  it("failed → stopped with exit 1, the condition's message as reason and diagnosis", () => {
    const message =
      "Task etl-x7k2p-task0 failed with message: The container exited with an error (exit code 1).";
    const event = executionEvent({
      ...base,
      completionTime: "2026-12-07T01:02:00Z",
      conditions: [{ type: "Completed", state: "CONDITION_FAILED", message }],
    });
    expect(event?.phase).toBe("stopped");
    expect(event?.crashed).toBe(true);
    expect(event?.exit?.exitCode).toBe(1);
    expect(event?.exit?.reason).toContain(message);
    expect(event?.diagnosis).toEqual({ level: "error", text: event?.exit?.reason });
  });
});
