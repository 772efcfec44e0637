/**
 * bench/lambdaNode.ts: the function in `npm run bench:aws` runs on serverless.yml's Node.js major,
 * with the flags Lambda's Node.js bootstrap derives from the function's memory.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { lambdaNode, lambdaNodeArgs, lambdaRuntime } from "../../../bench/lambdaNode.ts";
import { REPO_ROOT } from "../../../functions/local/prefectServer.ts";

afterEach(() => vi.unstubAllEnvs());

describe("lambdaNode", () => {
  it("reads the runtime and memory serverless.yml deploys the functions with", () => {
    const yml = readFileSync(join(REPO_ROOT, "serverless.yml"), "utf8");
    const { major, memoryMb } = lambdaRuntime(yml);
    expect(`nodejs${major}.x`).toBe(/^ {2}runtime: (\S+)$/m.exec(yml)?.[1]);
    expect(memoryMb).toBe(Number(/^ {2}memorySize: (\d+)$/m.exec(yml)?.[1]));
  });

  it("reads the provider's settings, not a function's", () => {
    const yml = [
      "functions:",
      "  tick:",
      "  runtime: nodejs18.x",
      "provider:",
      "  name: aws",
      "  runtime: nodejs22.x",
      "  memorySize: 512",
      "custom:",
      "  memorySize: 1024",
    ].join("\n");
    expect(lambdaRuntime(yml)).toEqual({ major: 22, memoryMb: 512 });
    expect(() => lambdaRuntime("provider:\n  name: aws\n")).toThrow(/provider.runtime/);
  });

  it("sizes the heap as Lambda's bootstrap does (new space a tenth, semi-space half of it)", () => {
    expect(lambdaNodeArgs(256)).toEqual([
      "--expose-gc",
      "--max-http-header-size=81920",
      "--max-semi-space-size=12",
      "--max-old-space-size=231",
    ]);
    expect(lambdaNodeArgs(1024)).toContain("--max-semi-space-size=51");
  });

  it("uses BENCH_AWS_DISPATCHER_NODE when it is set, with Lambda's flags", () => {
    vi.stubEnv("BENCH_AWS_DISPATCHER_NODE", process.execPath);
    const node = lambdaNode(REPO_ROOT, () => {});
    expect(node.path).toBe(process.execPath);
    expect(node.version).toBe(process.version);
    expect(node.args).toContain("--expose-gc");
    expect(node.note).toContain("BENCH_AWS_DISPATCHER_NODE");
  });
});
