import { describe, expect, it } from "vitest";
import { shlexSplit } from "../../../core/backends/shlex.ts";
import { submitToken } from "../../../core/backends/token.ts";
import { nonZeroExitMessage } from "../../../core/runs/exitCodes.ts";
import { containerBaseEnv, loadConfig } from "../../../core/runtime/config.ts";
import { parseQueueMessage } from "../../../core/runtime/messages.ts";
import { ConfigError, InvalidJobConfigurationError } from "../../../core/shared/errors.ts";
import { createRedactor, redactingLogger } from "../../../core/shared/redact.ts";

describe("shlexSplit (Python shlex.split, POSIX mode)", () => {
  it.each([
    ["prefect flow-run execute", ["prefect", "flow-run", "execute"]],
    ["  a   b  ", ["a", "b"]],
    [`sh -c 'exit 3'`, ["sh", "-c", "exit 3"]],
    [`a\\ b c`, ["a b", "c"]],
    [`x''y ""`, ["xy", ""]],
    ["a #b", ["a", "#b"]],
  ])("%s", (cmd, argv) => {
    expect(shlexSplit(cmd)).toEqual(argv);
  });
  it('inside "" only \\" and \\\\ are escapes: \\$ keeps its backslash (unlike bash)', () => {
    expect(shlexSplit(`echo "a \\"b\\" \\$c \\n"`)).toEqual(["echo", 'a "b" \\$c \\n']);
  });
  it("splits on space, tab, CR and LF only: no-break space, \\v and \\f stay in the word", () => {
    expect(shlexSplit("a\u00a0b\vc\fd e")).toEqual(["a\u00a0b\vc\fd", "e"]);
  });
  it("rejects unclosed quotes and a dangling backslash with Python's own ValueError message", () => {
    expect(() => shlexSplit("echo 'oops")).toThrow(InvalidJobConfigurationError);
    expect(() => shlexSplit('echo "oops')).toThrow(/No closing quotation/);
    expect(() => shlexSplit('echo "oops\\')).toThrow(/No escaped character/);
  });
});

describe("config", () => {
  it("names the missing variable", () => {
    expect(() => loadConfig({})).toThrow(ConfigError);
    expect(() => loadConfig({})).toThrow(/PREFECT_API_URL/);
  });
  it("parses pools and defaults", () => {
    const c = loadConfig({
      PREFECT_API_URL: "http://x:4200/api",
      PUSHPOOL_POOLS: "a, b,,",
      PUSHPOOL_TICK_SECONDS: "30",
    });
    expect(c).toMatchObject({
      pools: ["a", "b"],
      tickSeconds: 30,
      horizonSeconds: 60,
      workerName: "pushpool",
    });
  });
  it("gives the container the API URL it can reach and the credentials", () => {
    const c = loadConfig({
      PREFECT_API_URL: "http://127.0.0.1:4200/api",
      PUSHPOOL_CONTAINER_API_URL: "http://prefect.internal:4200/api",
      PREFECT_API_AUTH_STRING: "u:p",
    });
    expect(containerBaseEnv(c)).toEqual({
      PREFECT_API_URL: "http://prefect.internal:4200/api",
      PREFECT_API_AUTH_STRING: "u:p",
    });
  });
  it("refuses a worker name with a slash", () => {
    expect(() => loadConfig({ PREFECT_API_URL: "http://x/api", PUSHPOOL_WORKER_NAME: "a/b" })).toThrow(
      /PUSHPOOL_WORKER_NAME/,
    );
  });
});

describe("messages", () => {
  it("names the field that is wrong", () => {
    expect(() =>
      parseQueueMessage(JSON.stringify({ v: 1, kind: "dispatch", flowRunId: "x", pool: "p", source: "s" })),
    ).toThrow(/flowRunId/);
  });
});

describe("redaction", () => {
  it("masks secret values anywhere and credential-looking keys", () => {
    const redact = createRedactor(["s3cr3t-value"]);
    expect(redact({ a: "x s3cr3t-value y", nested: [{ apiKey: "anything" }], ok: 1 })).toEqual({
      a: "x *** y",
      nested: [{ apiKey: "***" }],
      ok: 1,
    });
    const lines: string[] = [];
    const log = redactingLogger(
      { debug() {}, info: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`), warn() {}, error() {} },
      redact,
    );
    log.info("token s3cr3t-value", { error: new Error("bad s3cr3t-value") });
    expect(lines.join()).not.toContain("s3cr3t-value");
  });

  it("skips the redaction of lines the inner logger would not write", () => {
    let redactions = 0;
    const written: string[] = [];
    const log = redactingLogger(
      {
        debug: (m) => written.push(`debug ${m}`),
        info: (m) => written.push(`info ${m}`),
        warn() {},
        error() {},
      },
      (value) => {
        redactions++;
        return value;
      },
      (level) => level !== "debug",
    );
    log.debug("Prefect API request", { path: "/flow_runs/x" });
    expect([redactions, written]).toEqual([0, []]);
    log.info("flow run submitted", { pid: "p" });
    expect([redactions, written]).toEqual([2, ["info flow run submitted"]]);
  });
});

describe("submit token and exit codes", () => {
  it("is stable per claim, new per claim, and fits ECS clientToken", () => {
    const a = submitToken("run", "claim-1");
    expect(submitToken("run", "claim-1")).toBe(a);
    expect(submitToken("run", "claim-2")).not.toBe(a);
    expect(a.length).toBeLessThanOrEqual(64);
  });
  it("uses Prefect's message form", () => {
    expect(nonZeroExitMessage(42)).toBe(
      "Flow run infrastructure exited with non-zero status code 42. The process exited with an unexpected status code.",
    );
  });
});
