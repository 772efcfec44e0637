import { describe, expect, it } from "vitest";
import { endToEnd } from "../../../bench/awsProxy.ts";

describe("bench AWS proxy: the answer's headers it passes on", () => {
  it("drops hop-by-hop headers (moto's Connection: close) and those Connection names, keeps the rest", () => {
    const out = endToEnd({
      connection: "close, x-hop",
      "keep-alive": "timeout=5",
      "transfer-encoding": "chunked",
      "x-hop": "1",
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": "abc",
    });
    expect(out).toEqual({ "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "abc" });
  });
});
