/**
 * The package of `npm run package:gcp` (functions/gcp/package/build.ts), served the way Cloud
 * Functions serves it: functions-framework's own CLI (`--target=<fn> --source=.build/gcp`) loads the
 * bundle, which registers every entry point with the framework's copy (external, as deployed). Each
 * function builds its runtime from the environment and passes the cold-start checks against the
 * real Prefect server; the Google client chunk is fetched on the first Cloud Run call.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { JsonObject } from "../../../core/prefect/types.ts";
import { BUNDLE, OUT_DIR, packageGcp, ROOT } from "../../../functions/gcp/package/build.ts";
import template from "../../fixtures/gcp/cloud-run-v2-base-job-template.json" with { type: "json" };
import { PrefectAdmin, uniqueName } from "../helpers/prefectAdmin.ts";
import { executionLogEntry, post, publishLogEntry } from "./functionsWorld.ts";

const children: ChildProcess[] = [];
let files: { file: string; bytes: number }[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  files = await packageGcp();
  const admin = new PrefectAdmin(inject("prefectApiUrl"));
  const pool = await admin.createWorkPool({
    name: uniqueName("gcpfn-pkg-pool"),
    type: "cloud-run-v2",
    base_job_template: template as unknown as JsonObject,
  });
  env = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    METADATA_SERVER_DETECTION: "none",
    PREFECT_API_URL: inject("prefectApiUrl"),
    PUSHPOOL_POOLS: pool.name,
    PUSHPOOL_TASKS_MAX_ATTEMPTS: "5",
    GOOGLE_CLOUD_PROJECT: "pp-fn-pkg",
  };
}, 180_000);
afterAll(() => {
  for (const child of children) child.kill("SIGTERM");
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Serves one target of the package with functions-framework's CLI; its URL and output. */
async function serve(target: string): Promise<{ url: string; output: () => string }> {
  const port = await freePort();
  const bin = join(ROOT, "node_modules", ".bin", "functions-framework");
  const child = spawn(bin, [`--target=${target}`, `--source=${OUT_DIR}`, `--port=${port}`], { env });
  children.push(child);
  let text = "";
  child.stdout?.on("data", (d) => (text += String(d)));
  child.stderr?.on("data", (d) => (text += String(d)));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600 && child.exitCode === null; i++) {
    if (text.includes("URL: ")) return { url, output: () => text };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`functions-framework --target=${target} did not start: ${text.slice(-800)}`);
}

describe("npm run package:gcp", () => {
  it("writes one ESM bundle plus lazily loaded chunks, and a package.json with the externals pinned", async () => {
    expect(files.map((f) => f.file)).toContain(BUNDLE);
    expect(files.some((f) => /^chunks\/cloudRunApi-.+\.mjs$/.test(f.file))).toBe(true);
    const total = files.filter((f) => f.file.endsWith(".mjs")).reduce((s, f) => s + f.bytes, 0);
    expect(total).toBeLessThanOrEqual(2_000_000);
    const manifest = JSON.parse(await readFile(join(OUT_DIR, "package.json"), "utf8"));
    expect(manifest).toMatchObject({ type: "module", main: BUNDLE });
    expect(Object.keys(manifest.dependencies).sort()).toEqual([
      "@google-cloud/aiplatform",
      "@google-cloud/functions-framework",
      "@google-cloud/pubsub",
      "@google-cloud/run",
      "@google-cloud/tasks",
    ]);
    // The framework and Vertex's client are not in the bundle.
    const code = await readFile(join(OUT_DIR, BUNDLE), "utf8");
    expect(code).toMatch(/from"@google-cloud\/functions-framework"/);
    expect(code).not.toContain("JobServiceClient");
    expect((await stat(join(OUT_DIR, BUNDLE))).size).toBeGreaterThan(0);
  });

  it("functions-framework serves the bundle's dispatch: a bad message is acknowledged with its reason", async () => {
    const { url } = await serve("dispatch");
    const res = await post(url, "{not json", {
      "content-type": "application/octet-stream",
      "x-cloudtasks-taskname": "0123456789",
      "x-cloudtasks-taskretrycount": "0",
      "x-cloudtasks-taskexecutioncount": "0",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: "rejected" });
    expect(String(res.body.reason)).toContain("message body is not JSON");
  });

  it("the tick answers 200 after its cold-start checks, and the cron names a missing header", async () => {
    const tick = await serve("tick");
    expect((await post(tick.url, "{}")).status).toBe(200);
    const cron = await serve("cron");
    const res = await post(cron.url, JSON.stringify({ deployment: "a/b" }));
    expect(res.status).toBe(400);
    expect(String(res.body.message)).toContain("X-CloudScheduler-ScheduleTime");
  });

  it("the events function loads the Cloud Run client chunk on its first call (here: no credentials → retried)", async () => {
    const events = await serve("events");
    const name = "projects/pp-fn-pkg/locations/europe-west1/jobs/job-0123456789abcdef/executions/job-abcde";
    expect(await publishLogEntry(events.url, executionLogEntry(name))).toBe(500);
    expect(events.output()).toContain("infrastructure event failed; it will be redelivered");
    // The client chunk loaded and ran: it asked for credentials. Class names survive minifying.
    expect(events.output()).toMatch(
      /"reason":"\w+Error: Failed to read the Cloud Run execution of an event: Could not load the default credentials/,
    );
    expect(events.output()).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find module/);
  });
});
