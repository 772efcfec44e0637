/**
 * Regression: a resumed claim started a second task because its look-up missed the first one. The
 * soak (no clientToken idempotency on moto) caught it twice in one run: the look-up asked ListTasks
 * for RUNNING and for STOPPED tasks at once, and the claim's task was stopped (its flow had just
 * finished) between the two answers, so it was in neither. Asked RUNNING first, then STOPPED, a
 * task that existed before the look-up is always in one of them.
 */
import { ListTasksCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { SdkEcsApi } from "../../../functions/aws/ecsApi.ts";

/**
 * An ECS endpoint with one task that is stopped 10 ms after the look-up starts; a RUNNING query
 * takes 20 ms to be served, a STOPPED query is served at once.
 */
function racingEcs() {
  const task = { arn: "arn:aws:ecs:us-east-1:123456789012:task/c/abc", desired: "RUNNING" };
  setTimeout(() => {
    task.desired = "STOPPED";
  }, 10);
  return {
    async send(command: unknown) {
      if (!(command instanceof ListTasksCommand)) throw new Error("unexpected command");
      const wanted = command.input.desiredStatus;
      if (wanted === "RUNNING") await new Promise((r) => setTimeout(r, 20));
      return { taskArns: task.desired === wanted ? [task.arn] : [] };
    },
  };
}

describe("the claim look-up (ListTasks by startedBy)", () => {
  it("finds a task stopped while it looks", async () => {
    const api = new SdkEcsApi({ region: "us-east-1" });
    Object.assign(api, { ecs: racingEcs() });
    expect(await api.listTasksStartedBy("c", "pushpool/run")).toEqual([
      "arn:aws:ecs:us-east-1:123456789012:task/c/abc",
    ]);
  });
});
