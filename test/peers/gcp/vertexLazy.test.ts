/**
 * The Vertex client is loaded lazily: importing functions/gcp/vertexApi.ts (what every GCP
 * function does) and using a port for its project and run-as account loads nothing of
 * `@google-cloud/aiplatform`; the first JobService call does. Checked in a fresh Node process (the
 * module cache is per process), as a cold function starts. And a key without a private key is
 * refused when the port is made (core's readGcpCredentials), not left to the client's background
 * stubs (an unhandled rejection there ends the process).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..", "..");

const SCRIPT = `
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const loaded = () => Object.keys(require.cache).filter((k) => k.includes("@google-cloud/aiplatform")).length;
const m = await import(${JSON.stringify(join(ROOT, "functions/gcp/vertexApi.ts"))});
const gax = (await import("google-gax")).default;
const before = loaded();
const base = { apiEndpoint: "127.0.0.1", port: 9, protocol: "http" };
const api = m.vertexApi({ project: "p", service_account_info: { client_email: "a@p", private_key: "k" } }, "us-central1", base);
const project = await api.project();
const email = await api.serviceAccountEmail();
const mid = loaded();
let badKey = "accepted";
try {
  m.vertexApi({ project: "p", service_account_info: { client_email: "a@p" } }, "us-central1", base);
} catch (e) {
  badKey = e.message;
}
const afterBadKey = loaded();
const ok = m.vertexApi({ project: "p" }, "us-central1", { ...base, authClient: new gax.googleAuthLibrary.PassThroughClient() });
await ok.getCustomJob("projects/p/locations/us-central1/customJobs/1").catch(() => {});
console.log(JSON.stringify({ before, project, email, mid, badKey, afterBadKey, after: loaded() }));
`;

it("importing and using the Vertex port loads aiplatform only at the first JobService call", () => {
  const proc = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, METADATA_SERVER_DETECTION: "none" },
    encoding: "utf8",
    timeout: 120_000,
  });
  expect(proc.status, proc.stderr).toBe(0);
  const out = JSON.parse(proc.stdout.trim().split("\n").pop() ?? "{}");
  expect(out).toMatchObject({
    before: 0,
    project: "p",
    email: "a@p",
    mid: 0,
    badKey:
      "credentials: service_account_info: The private_key field was not found in the service account info.",
    afterBadKey: 0,
  });
  expect(out.after).toBeGreaterThan(0);
}, 150_000);
