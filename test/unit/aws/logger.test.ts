/**
 * functions/aws/logger.ts: the Lambda functions' logger writes what its level allows, redacted,
 * and reads Powertools' level (an environment read on every access) once per invocation, not on
 * every line it filters out: a dispatch makes a debug call per Prefect request.
 */
import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Context } from "aws-lambda";
import { afterEach, describe, expect, it, vi } from "vitest";
import { functionLogger } from "../../../functions/aws/logger.ts";

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

function captured(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

const context = {
  functionName: "pushpool-dispatch",
  awsRequestId: "req-1",
  invokedFunctionArn: "arn:aws:lambda:us-east-1:1:function:pushpool-dispatch",
  memoryLimitInMB: "512",
} as unknown as Context;

describe("functionLogger (AWS)", () => {
  it("writes the lines its level allows, with secrets redacted", () => {
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "INFO");
    vi.stubEnv("POWERTOOLS_DEV", "false");
    const logger = functionLogger(["s3cr3t-token"]);
    const lines = captured();
    logger.withContext(context);
    logger.debug("not written", { n: 1 });
    logger.info("written", { note: "key s3cr3t-token" });
    const written = lines.join("");
    expect(written).not.toContain("not written");
    expect(written).toContain('"message":"written"');
    expect(written).not.toContain("s3cr3t-token");
  });

  it("reads Powertools' level once per invocation, not per line", () => {
    vi.stubEnv("POWERTOOLS_LOG_LEVEL", "WARN");
    const level = vi.spyOn(PowertoolsLogger.prototype, "level", "get");
    const logger = functionLogger([]);
    captured();
    logger.withContext(context);
    const before = level.mock.calls.length;
    for (let i = 0; i < 100; i++) logger.debug("filtered out", { i });
    expect(level.mock.calls.length - before).toBe(0);
    logger.withContext(context);
    expect(level.mock.calls.length - before).toBe(1);
  });
});
