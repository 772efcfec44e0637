/**
 * SdkEcsApi (functions/aws/ecsApi.ts) resolves each SDK client's middleware stack once per command
 * class (`cacheMiddleware`), not on every call: a burst of RunTasks paid that resolution each time.
 * The calls go to a closed port (refused at once); what is counted is the resolution, not the answer.
 */
import { DescribeTasksCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SdkEcsApi } from "../../../functions/aws/ecsApi.ts";

const settings = {
  region: "us-east-1",
  endpoint: "http://127.0.0.1:1",
  credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
};

afterEach(() => vi.restoreAllMocks());

describe("SdkEcsApi's SDK clients", () => {
  it("resolve RunTask's middleware once for many calls", async () => {
    const resolved = vi.spyOn(RunTaskCommand.prototype, "resolveMiddleware");
    const api = new SdkEcsApi(settings);
    for (let i = 0; i < 3; i++)
      await expect(api.runTask({ taskDefinition: "etl:1", cluster: "c" })).rejects.toThrow();
    expect(resolved).toHaveBeenCalledTimes(1);
  });

  it("resolve it again for another client (another instance's credentials)", async () => {
    const resolved = vi.spyOn(DescribeTasksCommand.prototype, "resolveMiddleware");
    const one = new SdkEcsApi(settings);
    const other = new SdkEcsApi({ ...settings, region: "eu-west-1" });
    for (const api of [one, one, other, other])
      await expect(api.describeTasks("c", ["arn:aws:ecs:us-east-1:1:task/c/t"])).rejects.toThrow();
    expect(resolved).toHaveBeenCalledTimes(2);
  });
});
