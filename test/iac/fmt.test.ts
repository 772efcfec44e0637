/**
 * `terraform fmt -check -recursive infra/`: the Terraform is formatted as terraform formats it
 * (CI refuses a formatting error). A deliberately misformatted file in a temporary directory shows
 * the check does fail when it should. Needs `terraform` on PATH (no provider registry: fmt only).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "./hcl.ts";

const run = promisify(execFile);

async function fmtCheck(dir: string): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run("terraform", ["fmt", "-check", "-recursive", "-list=true", dir], {
      cwd: ROOT,
    });
    return { code: 0, stdout };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string };
    if (e.code === "ENOENT")
      throw new Error("terraform is not on PATH: the infra/ format check needs it (fmt only, offline)");
    return { code: Number(e.code), stdout: e.stdout ?? "" };
  }
}

describe("terraform fmt", () => {
  it("infra/ is formatted", async () => {
    const result = await fmtCheck("infra");
    expect(result.stdout.trim(), "files terraform would reformat").toBe("");
    expect(result.code).toBe(0);
  }, 60_000);

  it("a misformatted file fails the same check", async () => {
    const dir = await mkdtemp(join(tmpdir(), "pushpool-fmt-"));
    try {
      await writeFile(join(dir, "bad.tf"), 'variable "x" {\ntype=string\n  default   =  "a"\n}\n');
      const result = await fmtCheck(dir);
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain("bad.tf");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
