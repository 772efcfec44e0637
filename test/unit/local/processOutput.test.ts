/** The process backend's console output: whole lines, under the run's name. */
import { describe, expect, it } from "vitest";
import { LocalBackend, type ProcessExit } from "../../../core/backends/process/index.ts";
import type { BackendContext } from "../../../core/ports/backend.ts";
import type { FlowRun } from "../../../core/prefect/types.ts";

describe("LocalBackend output", () => {
  it("prefixes each whole line with the run's name, even when a line arrives in pieces", async () => {
    const lines: string[] = [];
    let exit!: (e: ProcessExit) => void;
    const exited = new Promise<ProcessExit>((r) => (exit = r));
    const backend = new LocalBackend({ write: (l) => lines.push(l), onExit: (e) => exit(e) });
    const id = "0190a2b4-1111-7000-8000-000000000001";
    const ctx = { flowRun: { id, name: "crafty-otter" } as FlowRun, pool: { name: "p", type: "process" } };
    // Two writes with a pause between them: the first line reaches the pipe in two chunks.
    const script = `printf 'hal'; sleep 0.3; printf 'f a line\\nnext\\n'; printf 'é' >&2; sleep 0.3; printf 'no newline' >&2`;
    await backend.start(
      { argv: ["sh", "-c", script], env: {}, streamOutput: true },
      "token",
      ctx as BackendContext,
    );
    const { tail } = await exited;
    // The pipes may drain after the exit: wait for the last line (at most 10 s).
    for (let i = 0; i < 100 && !lines.some((l) => l.includes("no newline")); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(lines.filter((l) => l.startsWith("[crafty-otter] half")).length).toBe(1);
    expect(lines).toContain("[crafty-otter] half a line");
    expect(lines).toContain("[crafty-otter] next");
    expect(lines).toContain("[crafty-otter] éno newline");
    expect(lines.every((l) => l.startsWith("[crafty-otter] "))).toBe(true);
    expect(tail).toContain("half a line");
  });
});
