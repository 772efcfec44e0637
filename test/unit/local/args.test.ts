import { describe, expect, it } from "vitest";
import {
  choiceOption,
  listOption,
  nameOption,
  parseCommandArgs,
  portOption,
  positiveIntegerOption,
  secondsOption,
  UsageError,
} from "../../../functions/local/args.ts";

const OPTIONS = {
  pools: { type: "string" },
  keep: { type: "boolean" },
  pool: { type: "string", multiple: true },
} as const;

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error("expected a UsageError");
}

describe("parseCommandArgs", () => {
  it("parses repeatable and boolean options", () => {
    const { values } = parseCommandArgs(["--pool", "a", "--pool=b", "--keep"], OPTIONS);
    expect(values).toEqual({ pool: ["a", "b"], keep: true });
  });

  it("turns Node's errors into one clean line naming the option", () => {
    expect(usage(() => parseCommandArgs(["--bogus"], OPTIONS))).toBe("unknown option '--bogus'");
    expect(usage(() => parseCommandArgs(["-z"], OPTIONS))).toBe("unknown option '-z'");
    expect(usage(() => parseCommandArgs(["--pools"], OPTIONS))).toBe("option '--pools' needs a value");
    expect(usage(() => parseCommandArgs(["--keep=yes"], OPTIONS))).toBe("option '--keep' takes no value");
    expect(usage(() => parseCommandArgs(["extra"], OPTIONS))).toBe("unexpected argument 'extra'");
  });

  it("takes positionals only where the command allows them", () => {
    expect(parseCommandArgs(["run-id", "--pools", "p"], OPTIONS, true).positionals).toEqual(["run-id"]);
  });
});

describe("value checks name the flag", () => {
  it("seconds", () => {
    expect(secondsOption("--tick", "2.5")).toBe(2.5);
    expect(usage(() => secondsOption("--tick", "abc"))).toBe("--tick must be a number of seconds, got 'abc'");
    expect(usage(() => secondsOption("--tick", "-1"))).toMatch(/^--tick must be/);
    expect(usage(() => secondsOption("--tick", ""))).toMatch(/^--tick must be/);
  });

  it("positive whole numbers", () => {
    expect(positiveIntegerOption("--limit", "4")).toBe(4);
    for (const bad of ["0", "1.5", "x", "-2", ""])
      expect(usage(() => positiveIntegerOption("--limit", bad))).toBe(
        `--limit must be a whole number of at least 1, got '${bad}'`,
      );
  });

  it("ports", () => {
    expect(portOption("--port", "8787")).toBe(8787);
    expect(portOption("--port", "0")).toBe(0);
    expect(usage(() => portOption("--port", "65536"))).toBe(
      "--port must be a port number (0-65535), got '65536'",
    );
    expect(usage(() => portOption("--port", "http"))).toMatch(/^--port must be a port number/);
  });

  it("choices", () => {
    expect(choiceOption("--log-level", "DEBUG", ["debug", "info"])).toBe("debug");
    expect(usage(() => choiceOption("--log-level", "loud", ["debug", "info"]))).toBe(
      "--log-level must be one of debug, info, got 'loud'",
    );
  });

  it("worker names refuse what Prefect refuses", () => {
    expect(nameOption("--name", "laptop worker")).toBe("laptop worker");
    expect(usage(() => nameOption("--name", "a/b"))).toBe(
      "--name must be a name without '/' or '%', got 'a/b'",
    );
    expect(usage(() => nameOption("--name", "50%"))).toMatch(/^--name must be/);
  });

  it("lists merge repeated and comma-separated values, in order, once each", () => {
    expect(listOption(["a", "b"], "c, a,,d")).toEqual(["a", "b", "c", "d"]);
    expect(listOption(undefined, undefined)).toEqual([]);
  });
});
