/**
 * The architecture, checked: everything a pool type knows lives in core/backends/<type>/ (no other
 * file under core/ names a type), and core never imports a cloud SDK at runtime (type imports only).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const CORE = join(ROOT, "core");

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** Pool-type literals: a quoted `ecs` or `process`, or the other types' names anywhere. */
const POOL_TYPE_LITERAL = /["'`](?:ecs|process)["'`]|cloud-run|vertex|azure/;
/** A runtime import of a cloud SDK (type-only imports are erased). */
const RUNTIME_SDK_IMPORT =
  /^\s*import\s+(?!type\b)[^;]*?from\s+["'](?:@aws-sdk\/|@google-cloud\/|@azure\/|googleapis)/ms;

function findPoolTypeLiterals(text: string): string[] {
  return text.split("\n").filter((line) => POOL_TYPE_LITERAL.test(line));
}

function findRuntimeSdkImports(text: string): string[] {
  return text
    .split(/;\s*\n/)
    .filter((statement) => RUNTIME_SDK_IMPORT.test(statement))
    .map((s) => s.trim());
}

describe("the architecture", () => {
  const files = sources(CORE);

  it("finds the files it checks", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.some((f) => f.includes(join("core", "backends", "ecs")))).toBe(true);
  });

  it("the checks see what they look for", () => {
    expect(findPoolTypeLiterals('const t = pool.type === "process";\nconst ok = 1;')).toHaveLength(1);
    expect(findPoolTypeLiterals("lead: { 'ecs': 45 }")).toHaveLength(1);
    expect(findPoolTypeLiterals('"cloud-run-v2": 20, "azure-container-instance": 60')).toHaveLength(1);
    expect(findPoolTypeLiterals("// an ECS task; a child process")).toHaveLength(0);
    expect(findRuntimeSdkImports('import { ECSClient } from "@aws-sdk/client-ecs";\n')).toHaveLength(1);
    expect(findRuntimeSdkImports('import type { Task } from "@aws-sdk/client-ecs";\n')).toHaveLength(0);
  });

  it("no file under core/ outside core/backends/ names a pool type", () => {
    const offenders = files
      .filter((f) => !relative(CORE, f).startsWith(`backends`))
      .flatMap((f) =>
        findPoolTypeLiterals(readFileSync(f, "utf8")).map((line) => `${relative(ROOT, f)}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });

  it("core imports no cloud SDK at runtime", () => {
    const offenders = files.flatMap((f) =>
      findRuntimeSdkImports(readFileSync(f, "utf8")).map((s) => `${relative(ROOT, f)}: ${s}`),
    );
    expect(offenders).toEqual([]);
  });
});
