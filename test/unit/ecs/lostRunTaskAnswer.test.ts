/**
 * Regression: a RunTask whose answer was lost after ECS applied it. The soak found that, without
 * RunTask idempotency (moto ignores `clientToken`; AWS honours it only for a while), a retry of such a
 * RunTask — the SDK's own, or ours — started a second task for the same claim. RunTask now goes out
 * once per call (functions/aws/ecsApi.ts), and after an ambiguous failure the retry first looks for
 * the claim's task (startedBy + claim-token tag) and adopts it. The fake here ignores clientToken,
 * as moto does.
 */

import { describe, expect, it } from "vitest";
import { mayHaveStarted } from "../../../core/backends/ecs/claimTask.ts";
import { TransientError } from "../../../core/shared/errors.ts";
import { submitVia } from "../fakes/submit.ts";
import { awsError, FakeEcsApi } from "./fakeEcs.ts";
import { makeBackend, renderEcs } from "./render.ts";

/** What the SDK throws when the connection drops before the answer (the fault proxy's lostAfterApply). */
function socketHangUp(): Error {
  return Object.assign(new Error("socket hang up"), {
    name: "TimeoutError",
    code: "ECONNRESET",
    $metadata: { attempts: 1, totalRetryDelay: 0 },
  });
}

/** What the SDK throws for a 200 whose body was cut mid-way. */
function bodyCut(): Error {
  return Object.assign(new Error("aborted\n  Deserialization error"), {
    name: "Error",
    code: "ECONNRESET",
    $metadata: { httpStatusCode: 200, attempts: 1 },
  });
}

async function setup() {
  const api = new FakeEcsApi();
  api.ignoreClientToken = true;
  const { backend } = makeBackend({}, api);
  const { config, ctx } = await renderEcs({});
  return { api, backend, request: backend.prepare(config, ctx), ctx };
}

describe("RunTask answer lost after the task started (no clientToken idempotency)", () => {
  it.each([
    ["connection reset", socketHangUp],
    ["body cut mid-way", bodyCut],
  ])("%s: the retry adopts the task already started instead of starting a second", async (_, fault) => {
    const { api, backend, request, ctx } = await setup();
    api.lostRunTaskAnswers.push(fault());
    const { pid } = await submitVia(backend, request, "claim-1", ctx);
    expect(api.tasks.size).toBe(1);
    expect(api.count("runTask")).toBe(1);
    expect(api.count("listTasksStartedBy")).toBe(1);
    const [task] = api.tasks.values();
    expect(pid.endsWith(`::${task?.taskArn}`)).toBe(true);
  });

  it("a 5xx that started nothing: the look-up finds no task, RunTask is sent again, one task", async () => {
    const { api, backend, request, ctx } = await setup();
    api.errors.runTask = [awsError("ServerException", "internal", "server")];
    await submitVia(backend, request, "claim-1", ctx);
    expect(api.count("listTasksStartedBy")).toBe(1);
    expect(api.count("runTask")).toBe(2);
    expect(api.tasks.size).toBe(1);
  });

  it("throttling certainly started nothing: retried without a look-up", async () => {
    const { api, backend, request, ctx } = await setup();
    api.errors.runTask = [awsError("ThrottlingException", "Rate exceeded")];
    await submitVia(backend, request, "claim-1", ctx);
    expect(api.count("listTasksStartedBy")).toBe(0);
    expect(api.count("runTask")).toBe(2);
  });

  it("after an ambiguous failure, a later RunTask still looks first, even after throttling", async () => {
    const { api, backend, request, ctx } = await setup();
    api.errors.runTask = [
      awsError("ServerException", "internal", "server"),
      awsError("ThrottlingException", "slow down"),
    ];
    await submitVia(backend, request, "claim-1", ctx);
    expect(api.count("runTask")).toBe(3);
    expect(api.count("listTasksStartedBy")).toBe(2);
    expect(api.tasks.size).toBe(1);
  });

  it("a look-up that fails is retried as a look-up, never as a blind second RunTask", async () => {
    const { api, backend, request, ctx } = await setup();
    api.lostRunTaskAnswers.push(socketHangUp());
    api.errors.listTasksStartedBy = [awsError("ServerException", "internal", "server")];
    const { pid, adopted } = await submitVia(backend, request, "claim-1", ctx);
    expect(adopted).toBe(true);
    expect(api.count("runTask")).toBe(1);
    expect(api.tasks.size).toBe(1);
    expect(pid).toContain([...api.tasks.keys()][0]);
  });

  it("a look-up that keeps failing is a TransientError; the redelivery looks first and adopts the task", async () => {
    const { api, backend, request, ctx } = await setup();
    api.lostRunTaskAnswers.push(socketHangUp());
    const down = () => awsError("ServerException", "internal", "server");
    api.errors.listTasksStartedBy = [down(), down(), down()];
    const error = await submitVia(backend, request, "claim-1", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(api.count("runTask")).toBe(1);
    const again = await submitVia(backend, request, "claim-1", { ...ctx, resumed: true });
    expect(api.count("runTask")).toBe(1);
    expect(api.tasks.size).toBe(1);
    expect(again.pid).toContain([...api.tasks.keys()][0]);
  });

  it("answers lost on every attempt: a TransientError, and the redelivery adopts the first task", async () => {
    const { api, backend, request, ctx } = await setup();
    api.errors.runTask = [
      awsError("ServerException", "a", "server"),
      awsError("ServerException", "b", "server"),
    ];
    api.lostRunTaskAnswers.push(socketHangUp());
    const error = await submitVia(backend, request, "claim-1", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect(api.count("runTask")).toBe(3);
    expect(api.tasks.size).toBe(1);
    await submitVia(backend, request, "claim-1", { ...ctx, resumed: true });
    expect(api.count("runTask")).toBe(3);
    expect(api.tasks.size).toBe(1);
  });
});

describe("mayHaveStarted", () => {
  it("no answer, a 5xx or a cut 200 may have started a task; a 4xx (throttling included) did not", () => {
    expect(mayHaveStarted(socketHangUp())).toBe(true);
    expect(mayHaveStarted(bodyCut())).toBe(true);
    expect(mayHaveStarted(awsError("ServerException", "x", "server"))).toBe(true);
    expect(mayHaveStarted(new Error("unknown"))).toBe(true);
    expect(mayHaveStarted(awsError("ThrottlingException", "Rate exceeded"))).toBe(false);
    expect(mayHaveStarted(awsError("InvalidParameterException", "bad"))).toBe(false);
    const tooMany = Object.assign(new Error("UnknownError"), {
      name: "Unknown",
      $metadata: { httpStatusCode: 429 },
    });
    expect(mayHaveStarted(tooMany)).toBe(false);
  });
});
