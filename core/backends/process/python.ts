/**
 * @module
 * Which Python runs `process` flows that set no command, chosen as a user's set-up has it (pure:
 * the environment and a file reader are injected). In order:
 *
 * 1. `PUSHPOOL_PYTHON` when set;
 * 2. the interpreter the `prefect` executable on `PATH` runs with (its shebang: the venv that has
 *    Prefect, as Prefect's own worker runs flows with its own interpreter);
 * 3. `.venv/bin/python` of the clone (what `npm run setup` makes);
 * 4. `python` on `PATH` (start-up then checks it can import prefect, ./pythonCheck.ts).
 */
import { ConfigError } from "../../shared/errors.ts";

/** What the resolution reads: a file's text (null when absent or unreadable). */
export type ReadText = (path: string) => string | null;

export interface PythonChoice {
  python: string;
  /** Where it came from, for people: `PUSHPOOL_PYTHON`, `prefect on PATH (…)`, `.venv`, `default`. */
  source: string;
}

export interface ResolveOptions {
  readText: ReadText;
  /** The clone's `.venv/bin/python` (absolute), when there is a clone. */
  clonePython?: string;
}

export function resolvePython(env: Record<string, string | undefined>, o: ResolveOptions): PythonChoice {
  const configured = env.PUSHPOOL_PYTHON;
  if (configured !== undefined) {
    if (configured.trim() === "")
      throw new ConfigError("PUSHPOOL_PYTHON is set but empty: a Python executable");
    return { python: configured, source: "PUSHPOOL_PYTHON" };
  }
  for (const dir of (env.PATH ?? "").split(":")) {
    if (!dir) continue;
    const prefect = `${dir.replace(/\/+$/, "")}/prefect`;
    const text = o.readText(prefect);
    if (text === null) continue;
    const python = interpreterOf(text);
    if (python) return { python, source: `the interpreter of ${prefect}` };
  }
  if (o.clonePython && o.readText(o.clonePython) !== null)
    return { python: o.clonePython, source: "the clone's .venv" };
  return { python: "python", source: "default (python on PATH)" };
}

/**
 * The interpreter a console script runs with: `#!/venv/bin/python`, `#!/usr/bin/env python3`, or
 * pip's long-path form (`#!/bin/sh` then `'''exec' "/venv/bin/python" "$0" "$@"`). Null otherwise.
 */
export function interpreterOf(script: string): string | null {
  const [first = "", second = ""] = script.split("\n", 2);
  if (!first.startsWith("#!")) return null;
  const words = first.slice(2).trim().split(/\s+/).filter(Boolean);
  const [program, ...args] = words;
  if (!program) return null;
  if (program === "/bin/sh") {
    const exec = /^'''exec' "?([^"]+?)"? "\$0" "\$@"/.exec(second.trim());
    return exec?.[1] ?? null;
  }
  if (program.endsWith("/env")) {
    const named = args.find((a) => !a.startsWith("-"));
    return named && /python/.test(named) ? named : null;
  }
  return /python[\d.]*$/.test(program) ? program : null;
}
