/**
 * `npm run package:azure` (functions/azure/package/build.ts) into a temporary directory: host.json
 * states the queue trigger's poison rule the handlers assume, package.json has no dependency, every
 * bundle is under 1 MB, the entry loads in a bare node (registrations skipped outside the host),
 * and, given a stand-in for the worker's `@azure/functions-core`, registers each function with the
 * bindings the host reads.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_DEQUEUE_COUNT } from "../../../functions/azure/hostSettings.ts";
import { oversized, type PackageResult, packageAzure } from "../../../functions/azure/package/build.ts";

let dir: string;
let pkg: PackageResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pp-azure-pkg-"));
  pkg = await packageAzure(join(dir, "azure"));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("package:azure", () => {
  it("host.json: extension bundle, the queue trigger's poison rule, a function timeout", () => {
    const host = JSON.parse(readFileSync(join(pkg.dir, "host.json"), "utf8"));
    expect(host.version).toBe("2.0");
    expect(host.extensionBundle.id).toBe("Microsoft.Azure.Functions.ExtensionBundle");
    expect(host.extensions.queues).toMatchObject({
      maxDequeueCount: MAX_DEQUEUE_COUNT,
      messageEncoding: "base64",
    });
    expect(host.functionTimeout).toMatch(/^\d{2}:\d{2}:\d{2}$/);
  });

  it("package.json: ESM, main is the entry, no dependencies (all bundled)", () => {
    const manifest = JSON.parse(readFileSync(join(pkg.dir, "package.json"), "utf8"));
    expect(manifest).toMatchObject({ type: "module", main: "dist/index.js", dependencies: {} });
    expect(manifest.devDependencies).toBeUndefined();
  });

  it("every bundle is ≤ 1 MB and the entry loads outside the host", () => {
    expect(pkg.files.some((f) => f.file.startsWith("dist/chunks/dispatch-"))).toBe(true);
    expect(oversized(pkg)).toEqual([]);
    const r = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `await import(${JSON.stringify(pkg.entry)})`],
      {
        encoding: "utf8",
        env: {
          PATH: process.env.PATH,
          PUSHPOOL_CRONS: '[{"name":"a","schedule":"0 0 * * *","deployment":"f/d"}]',
        },
      },
    );
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('Skipping call to register function "dispatch"');
    // A bad PUSHPOOL_CRONS is one precise line (class names survive minification).
    expect(r.stderr).toContain("ConfigError: PUSHPOOL_CRONS: 0.schedule: '0 0 * * *' has 5 fields");
  });

  it("registers dispatch, tick, webhook, poison and one timer per cron with the bindings the host reads", () => {
    // The worker's module, as the bundle requires it (resolved from the package's node_modules).
    const core = join(pkg.dir, "node_modules", "@azure", "functions-core");
    mkdirSync(core, { recursive: true });
    writeFileSync(
      join(core, "index.js"),
      "module.exports = { setProgrammingModel() {}, registerFunction(m) { process.stdout.write(JSON.stringify(m) + '\\n'); return { dispose() {} }; } };",
    );
    const crons = '[{"name":"nightly","schedule":"0 0 3 * * *","deployment":"etl/nightly"}]';
    const r = spawnSync(
      process.execPath,
      ["--input-type=module", "-e", `await import(${JSON.stringify(pkg.entry)})`],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH, PUSHPOOL_CRONS: crons },
      },
    );
    rmSync(join(pkg.dir, "node_modules"), { recursive: true, force: true });
    expect(r.stderr).toBe("");
    const registered = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const triggerOf = (name: string) => {
      const fn = registered.find((m) => m.name === name);
      return Object.values(fn?.bindings ?? {}).find((b) => /Trigger$/.test((b as { type: string }).type));
    };
    expect(registered.map((m) => m.name).sort()).toEqual([
      "cron-nightly",
      "dispatch",
      "poison",
      "tick",
      "webhook",
    ]);
    expect(triggerOf("dispatch")).toMatchObject({
      type: "queueTrigger",
      queueName: "%PUSHPOOL_QUEUE_NAME%",
      connection: "AzureWebJobsStorage",
      dataType: "binary",
    });
    expect(triggerOf("tick")).toMatchObject({ type: "timerTrigger", schedule: "0 * * * * *" });
    expect(triggerOf("poison")).toMatchObject({ type: "timerTrigger" });
    expect(triggerOf("cron-nightly")).toMatchObject({ type: "timerTrigger", schedule: "0 0 3 * * *" });
    expect(triggerOf("webhook")).toMatchObject({
      type: "httpTrigger",
      route: "trigger",
      methods: ["POST"],
      authLevel: "anonymous",
    });
  });
});
