/**
 * Which Python runs `process` flows (core/backends/process/python.ts), and one real check of it
 * (core/backends/process/pythonCheck.ts): the clone's venv has prefect, a Python without it and a
 * missing one get the one-line fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { interpreterOf, resolvePython } from "../../../core/backends/process/python.ts";
import { checkPythonHasPrefect, PYTHON_FIX } from "../../../core/backends/process/pythonCheck.ts";
import { CLONE_PYTHON } from "../../../core/backends/process/settings.ts";
import { ConfigError } from "../../../core/shared/errors.ts";
import { REPO_ROOT } from "../../../functions/local/prefectServer.ts";

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;
const CLONE = "/clone/.venv/bin/python";

describe("resolvePython", () => {
  it("PUSHPOOL_PYTHON wins over everything", () => {
    const choice = resolvePython(
      { PUSHPOOL_PYTHON: "/opt/py/bin/python", PATH: "/venv/bin" },
      { readText: files({ "/venv/bin/prefect": "#!/venv/bin/python\n", [CLONE]: "" }), clonePython: CLONE },
    );
    expect(choice).toEqual({ python: "/opt/py/bin/python", source: "PUSHPOOL_PYTHON" });
  });

  it("an empty PUSHPOOL_PYTHON is a configuration error naming it", () => {
    expect(() => resolvePython({ PUSHPOOL_PYTHON: " " }, { readText: files({}) })).toThrow(ConfigError);
    expect(() => resolvePython({ PUSHPOOL_PYTHON: "" }, { readText: files({}) })).toThrow(/PUSHPOOL_PYTHON/);
  });

  it("else the interpreter of the first `prefect` on PATH (a user's venv)", () => {
    const choice = resolvePython(
      { PATH: "/usr/bin:/home/u/venv/bin/:/other/bin" },
      {
        readText: files({
          "/home/u/venv/bin/prefect": "#!/home/u/venv/bin/python3.11\n# -*- coding: utf-8 -*-\n",
          "/other/bin/prefect": "#!/other/python\n",
          [CLONE]: "",
        }),
        clonePython: CLONE,
      },
    );
    expect(choice.python).toBe("/home/u/venv/bin/python3.11");
    expect(choice.source).toBe("the interpreter of /home/u/venv/bin/prefect");
  });

  it("else the clone's .venv, else python on PATH", () => {
    const env = { PATH: "/usr/bin" };
    expect(resolvePython(env, { readText: files({ [CLONE]: "\x7fELF" }), clonePython: CLONE }).python).toBe(
      CLONE,
    );
    expect(resolvePython(env, { readText: files({}), clonePython: CLONE }).python).toBe("python");
  });

  it("reads the shebang forms pip writes", () => {
    expect(interpreterOf("#!/v/bin/python\nimport sys\n")).toBe("/v/bin/python");
    expect(interpreterOf("#!/usr/bin/env python3\n")).toBe("python3");
    expect(interpreterOf(`#!/bin/sh\n'''exec' "/a very/long path/bin/python" "$0" "$@"\n' '''\n`)).toBe(
      "/a very/long path/bin/python",
    );
    expect(interpreterOf("#!/bin/bash\necho hi\n")).toBeNull();
    expect(interpreterOf("\x7fELF binary")).toBeNull();
  });
});

describe("checkPythonHasPrefect (real spawns)", () => {
  it("the clone's venv has prefect", async () => {
    expect(CLONE_PYTHON).toBe(join(REPO_ROOT, ".venv", "bin", "python"));
    const row = await checkPythonHasPrefect({ python: CLONE_PYTHON, source: "the clone's .venv" }, 60_000);
    expect(row.ok, row.detail).toBe(true);
    expect(row.detail).toMatch(/^prefect 3\.\d+\.\d+ in /);
  });

  it("a Python without prefect gets the one-line fix", async () => {
    // The venv's own interpreter without site-packages (-S): a real Python that has no prefect.
    const dir = mkdtempSync(join(tmpdir(), "pushpool-python-"));
    const python = join(dir, "python");
    writeFileSync(python, `#!/bin/sh\nexec ${CLONE_PYTHON} -S "$@"\n`, { mode: 0o755 });
    try {
      const row = await checkPythonHasPrefect({ python, source: "PUSHPOOL_PYTHON" }, 60_000);
      expect(row.ok).toBe(false);
      expect(row.detail).toBe(`flows cannot run: ${python} (PUSHPOOL_PYTHON) has no module named 'prefect'`);
      expect(row.fix).toBe(PYTHON_FIX);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a missing Python gets the one-line fix", async () => {
    const bare = await checkPythonHasPrefect({
      python: "/nonexistent/bin/python",
      source: "PUSHPOOL_PYTHON",
    });
    expect(bare.ok).toBe(false);
    expect(bare.detail).toBe("flows cannot run: /nonexistent/bin/python (PUSHPOOL_PYTHON) was not found");
    expect(bare.fix).toBe(PYTHON_FIX);
  });
});
