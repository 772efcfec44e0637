/**
 * SdkEcsApi.listTaskDefinitionArns (functions/aws/ecsApi.ts): ListTaskDefinitions matches a family
 * *prefix* on AWS (moto matches exactly), so other families are filtered out; newest revision
 * first, at most `limit`, at most three pages. The SDK client's `send` is stubbed.
 */
import type { ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { SdkEcsApi } from "../../../functions/aws/ecsApi.ts";

const arn = (name: string) => `arn:aws:ecs:us-east-1:123456789012:task-definition/${name}`;

function apiWithPages(pages: string[][]) {
  const api = new SdkEcsApi({ region: "us-east-1" });
  const inputs: unknown[] = [];
  let page = 0;
  Object.assign(api.ecs, {
    send: async (command: ListTaskDefinitionsCommand) => {
      inputs.push(command.input);
      const arns = pages[page] ?? [];
      page++;
      return { taskDefinitionArns: arns, nextToken: page < pages.length ? `t${page}` : undefined };
    },
  });
  return { api, inputs };
}

describe("SdkEcsApi.listTaskDefinitionArns", () => {
  it("keeps the exact family, newest first, at most `limit`", async () => {
    const pages = [
      [arn("etl-v2:9"), arn("etl:2"), arn("etl:10")],
      [arn("etl:1"), arn("etl_x:3")],
    ];
    const two = apiWithPages(pages);
    expect(await two.api.listTaskDefinitionArns("etl", 2)).toEqual([arn("etl:10"), arn("etl:2")]);
    expect(two.inputs).toEqual([{ familyPrefix: "etl", status: "ACTIVE", sort: "DESC", maxResults: 100 }]);
    const three = apiWithPages(pages);
    expect(await three.api.listTaskDefinitionArns("etl", 3)).toEqual([
      arn("etl:10"),
      arn("etl:2"),
      arn("etl:1"),
    ]);
    expect(three.inputs).toHaveLength(2);
  });

  it("reads at most three pages", async () => {
    const { api, inputs } = apiWithPages([[arn("etlx:1")], [arn("etlx:2")], [arn("etl:1")], [arn("etl:2")]]);
    expect(await api.listTaskDefinitionArns("etl", 5)).toEqual([arn("etl:1")]);
    expect(inputs).toHaveLength(3);
    expect(inputs[1]).toMatchObject({ nextToken: "t1" });
  });
});
