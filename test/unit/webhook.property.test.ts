import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { TriggerMessage } from "../../core/runtime/messages.ts";
import type { WebhookKey } from "../../core/webhook/config.ts";
import { handleWebhook, type WebhookRequest } from "../../core/webhook/handler.ts";
import { sign } from "../../core/webhook/signature.ts";

const SECRET = "property-secret-0123456789";
const NOW = new Date("2026-08-01T12:00:00Z");
const TS = Math.floor(NOW.getTime() / 1000);
const KEYS: WebhookKey[] = [{ id: "ci", secret: SECRET, deployments: ["ci/allowed"], allowJobVariables: [] }];
const RUNS = { numRuns: 300, seed: 20260801 };

/** Handles `req` with a trigger that records calls; checks the universal rejection contract. */
async function expectRejected(req: WebhookRequest): Promise<void> {
  const calls: TriggerMessage[] = [];
  const lines: string[] = [];
  const record = (message: string, fields?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ message, fields }));
  const response = await handleWebhook(req, {
    keys: KEYS,
    now: NOW,
    logger: { debug: record, info: record, warn: record, error: record },
    trigger: async (message) => {
      calls.push(message);
      return { flowRunId: "never", created: true };
    },
  });
  expect(response.status).toBeGreaterThanOrEqual(400);
  expect(response.status).toBeLessThan(500);
  expect(calls).toHaveLength(0);
  const body = JSON.parse(response.body) as { error: unknown; message: unknown };
  expect(typeof body.error).toBe("string");
  expect(typeof body.message).toBe("string");
  expect(response.body).not.toContain(SECRET);
  for (const line of lines) expect(line).not.toContain(SECRET);
}

const text = fc.string({ maxLength: 80, unit: "binary" });
const hex64 = fc.stringMatching(/^[0-9a-f]{64}$/);
/** Plausible and implausible values for each header the webhook reads. */
const headers = fc.record(
  {
    "content-type": fc.oneof(
      fc.constantFrom("application/json", "text/plain", "application/x+json; charset=utf-16"),
      text,
    ),
    "x-pushpool-timestamp": fc.oneof(fc.integer({ min: TS - 400, max: TS + 400 }).map(String), text),
    "x-pushpool-signature": fc.oneof(
      hex64.map((h) => `v1=${h}`),
      fc.array(hex64, { maxLength: 3 }).map((hs) => hs.map((h) => `v1=${h}`).join(",")),
      text,
    ),
    "x-pushpool-key-id": fc.oneof(fc.constantFrom("ci", "other"), text),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }),
  fc.string({ maxLength: 512, unit: "binary" }),
  fc.json({ maxDepth: 4 }),
  fc.constant(JSON.stringify({ deployment: "ci/allowed" })),
);
const method = fc.oneof(fc.constant("POST"), fc.constantFrom("GET", "PUT", "post", "OPTIONS"), text);
const path = fc.oneof(fc.constant("/trigger"), fc.constantFrom("/", "/api/trigger", "/trigger/x"), text);

describe("handleWebhook properties", () => {
  it("rejects unsigned requests with arbitrary bodies and headers, without calling trigger", async () => {
    await fc.assert(
      fc.asyncProperty(method, path, headers, body, async (m, p, h, b) => {
        await expectRejected({ method: m, path: p, headers: h, body: b });
      }),
      RUNS,
    );
  });

  it("rejects correctly signed arbitrary JSON that is not an allowed trigger, without calling trigger", async () => {
    const contentType = fc.constantFrom("application/json", "application/json; charset=utf-8");
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), contentType, async (value, ct) => {
        // The only value this key may trigger is {deployment: "ci/allowed"} with optional fields.
        const deployment = (value as { deployment?: unknown } | null)?.deployment;
        fc.pre(!(typeof value === "object" && value !== null && deployment === "ci/allowed"));
        const raw = JSON.stringify(value) ?? "null";
        await expectRejected({
          method: "POST",
          path: "/trigger",
          headers: {
            "content-type": ct,
            "x-pushpool-timestamp": String(TS),
            "x-pushpool-signature": `v1=${sign(SECRET, TS, raw)}`,
          },
          body: raw,
        });
      }),
      RUNS,
    );
  });

  it("rejects a valid signed trigger body with one byte flipped", async () => {
    const raw = new TextEncoder().encode(JSON.stringify({ deployment: "ci/allowed", parameters: { n: 1 } }));
    const signature = `v1=${sign(SECRET, TS, raw)}`;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: raw.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const tampered = raw.slice();
        tampered[at] = (tampered[at] ?? 0) ^ xor;
        await expectRejected({
          method: "POST",
          path: "/trigger",
          headers: {
            "content-type": "application/json",
            "x-pushpool-timestamp": String(TS),
            "x-pushpool-signature": signature,
          },
          body: tampered,
        });
      }),
      RUNS,
    );
  });
});
