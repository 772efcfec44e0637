/**
 * @module
 * The start-up check of the `process` backend's Python: it can import `prefect`. One short spawn
 * that looks the package up without importing it (`importlib.util.find_spec`, tens of ms where a
 * full `import prefect` takes seconds), and reads its version. Also the file reader that
 * ./python.ts's resolution uses on this machine.
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readSync } from "node:fs";
import type { CheckRow } from "../../ports/check.ts";
import type { PythonChoice } from "./python.ts";

/** The one-line fix every failure of this check ends with. */
export const PYTHON_FIX =
  "set PUSHPOOL_PYTHON=/path/to/venv/bin/python or activate the venv that has prefect";

const PROBE =
  "import importlib.util as u, importlib.metadata as m, sys\n" +
  "s = u.find_spec('prefect')\n" +
  "print(m.version('prefect') if s else '')\n" +
  "sys.exit(0 if s else 3)";

const CHECK = "Python for flows";

/** A row: `prefect 3.9.1 in <python> (<source>)`, or what went wrong with {@link PYTHON_FIX}. */
export async function checkPythonHasPrefect(choice: PythonChoice, timeoutMs = 8000): Promise<CheckRow> {
  const where = `${choice.python} (${choice.source})`;
  const fail = (what: string): CheckRow => ({
    check: CHECK,
    ok: false,
    detail: `flows cannot run: ${what}`,
    fix: PYTHON_FIX,
  });
  return await new Promise((resolve) => {
    let out = "";
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(choice.python, ["-c", PROBE], { stdio: ["ignore", "pipe", "ignore"] });
    } catch (error) {
      resolve(fail(`cannot start ${where}: ${(error as Error).message}`));
      return;
    }
    // Not spawn's own `timeout`: its timer outlives a spawn that failed (ENOENT) and holds the exit.
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    timer.unref();
    child.once("close", () => clearTimeout(timer));
    child.once("error", () => clearTimeout(timer));
    child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.once("error", (error: NodeJS.ErrnoException) =>
      resolve(
        fail(error.code === "ENOENT" ? `${where} was not found` : `cannot start ${where}: ${error.message}`),
      ),
    );
    child.once("close", (code, signal) => {
      if (code === 0) resolve({ check: CHECK, ok: true, detail: `prefect ${out.trim()} in ${where}` });
      else if (code === 3) resolve(fail(`${where} has no module named 'prefect'`));
      else if (signal) resolve(fail(`${where} did not answer within ${Math.round(timeoutMs / 1000)} s`));
      else resolve(fail(`${where} exited with code ${code} when asked for prefect`));
    });
  });
}

/** The first 512 bytes of a file as text, or null when it cannot be read (absent, a directory…). */
export function readHead(path: string): string | null {
  let fd: number | undefined;
  try {
    fd = openSync(path, "r");
    const buffer = Buffer.alloc(512);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.subarray(0, n).toString("utf8");
  } catch {
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
