/**
 * checkov (pinned in infra/requirements.txt, installed in .venv-iac/ by functions/local/setup.mjs)
 * on infra/gcp and infra/azure: zero failed checks, every skip justified next to its resource
 * (`#checkov:skip=CKV_…: reason`), and enough checks passing in each directory that the scan
 * cannot have silently looked at nothing. Offline: `--skip-download` (no policy download).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { IAC_BIN, ROOT, requireIacVenv } from "./hcl.ts";

const run = promisify(execFile);

interface CheckResult {
  check_id: string;
  file_abs_path: string;
  resource: string;
  check_result: { result: string; suppress_comment?: string };
}
interface Report {
  summary: {
    passed: number;
    failed: number;
    skipped: number;
    parsing_errors: number;
    checkov_version: string;
  };
  results: { passed_checks: CheckResult[]; failed_checks: CheckResult[]; skipped_checks: CheckResult[] };
}

let report: Report;
const dirOf = (c: CheckResult) => c.file_abs_path.split("/").at(-2);

beforeAll(async () => {
  requireIacVenv();
  const { stdout } = await run(
    join(IAC_BIN, "checkov"),
    ["-d", "infra", "--framework", "terraform", "--output", "json", "--skip-download"],
    { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: "WARNING" } },
  ).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
    // checkov exits 1 when a check fails: keep its report, so the assertions below name the checks.
    if (error.code === 1 && error.stdout) return { stdout: error.stdout };
    throw new Error(`checkov did not run: ${error.stderr ?? String(error)}`);
  });
  report = JSON.parse(stdout) as Report;
}, 240_000);

describe("checkov on infra/gcp and infra/azure", () => {
  it("is the pinned version", async () => {
    const pin = /^checkov==(\S+)$/m.exec(await readFile(join(ROOT, "infra/requirements.txt"), "utf8"))?.[1];
    expect(pin).toBe("3.3.30");
    expect(report.summary.checkov_version).toBe(pin);
  });

  it("finds no failed check and parses every file", () => {
    const failed = report.results.failed_checks.map(
      (c) => `${c.check_id} ${c.resource} (${c.file_abs_path})`,
    );
    expect(failed).toEqual([]);
    expect(report.summary.failed).toBe(0);
    expect(report.summary.parsing_errors).toBe(0);
  });

  it("ran real checks on both directories", () => {
    for (const dir of ["gcp", "azure"]) {
      expect(report.results.passed_checks.filter((c) => dirOf(c) === dir).length, dir).toBeGreaterThanOrEqual(
        15,
      );
    }
  });

  it("every skip is justified in the .tf file, on its resource", async () => {
    expect(report.results.skipped_checks.length).toBeGreaterThan(0);
    for (const skip of report.results.skipped_checks) {
      const reason = skip.check_result.suppress_comment ?? "";
      expect(reason.trim().length, `${skip.check_id} on ${skip.resource}: no reason`).toBeGreaterThanOrEqual(
        30,
      );
      const source = await readFile(skip.file_abs_path, "utf8");
      expect(source).toContain(`#checkov:skip=${skip.check_id}:${reason}`);
    }
  });
});
