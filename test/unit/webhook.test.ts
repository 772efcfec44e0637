import { describe, expect, it } from "vitest";
import { stringifyJson } from "../../core/prefect/json.ts";
import { MAX_BODY_BYTES } from "../../core/webhook/handler.ts";
import {
  CI_SECRET,
  CRON_SECRET,
  DEPLOYMENT_ID,
  harness,
  OLD_SECRET,
  payload,
  rejected,
  request,
  TS,
} from "./webhookHarness.ts";

describe("handleWebhook: accepted requests", () => {
  it("keeps parameters exact: integers beyond 2^53, floats and integer-like keys in the caller's order", async () => {
    const h = harness();
    const body =
      '{"deployment":"etl/daily","parameters":{"id":9007199254740993,"ratio":1.0,"ports":{"8080":"web","443":"tls"}}}';
    expect((await h.send(request(body, { keyId: "ci" }))).status).toBe(202);
    const sent = h.calls[0]?.message.parameters;
    expect(stringifyJson(sent)).toBe(
      '{"id":9007199254740993,"ratio":1.0,"ports":{"8080":"web","443":"tls"}}',
    );
  });

  it("answers 202 and triggers exactly once with the right message", async () => {
    const h = harness();
    const response = await h.send(
      request({ deployment: "etl/daily", parameters: { day: "2026-08-01" } }, { keyId: "ci" }),
    );
    expect(response.status).toBe(202);
    expect(payload(response)).toEqual({ flowRunId: "run-1", created: true });
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]).toEqual({
      keyId: "ci",
      message: {
        v: 1,
        kind: "trigger",
        deployment: "etl/daily",
        parameters: { day: "2026-08-01" },
        idempotencyKey: expect.stringMatching(/^webhook:ci:[0-9a-f]{40}$/),
        source: "webhook:ci",
      },
    });
    const log = h.lines.find((l) => l.includes('"status":202'));
    expect(log).toContain('"keyId":"ci"');
    expect(log).toContain('"deployment":"etl/daily"');
  });

  it("finds the key by trying each one when no key id is given, and takes bytes", async () => {
    const h = harness();
    const body = new TextEncoder().encode(JSON.stringify({ deployment: DEPLOYMENT_ID }));
    const response = await h.send(request(body, { secret: CRON_SECRET }));
    expect(response.status).toBe(202);
    expect(h.calls[0]?.keyId).toBe("cron");
    expect(h.calls[0]?.message.source).toBe("webhook:cron");
  });

  it("passes idempotencyKey and scheduledTime through", async () => {
    const h = harness();
    const body = {
      deployment: "etl/daily",
      idempotencyKey: "build-42",
      scheduledTime: "2026-08-01T13:00:00+02:00",
    };
    expect((await h.send(request(body))).status).toBe(202);
    expect(h.calls[0]?.message).toMatchObject({
      idempotencyKey: "build-42",
      scheduledTime: "2026-08-01T13:00:00+02:00",
    });
  });

  it("accepts a trailing slash, a query string and a JSON charset", async () => {
    const h = harness();
    const req = request({ deployment: "etl/daily" }, { contentType: "application/json; charset=UTF-8" });
    expect((await h.send({ ...req, path: "/trigger/?src=ci" })).status).toBe(202);
  });

  it("accepts a body of exactly 256 KiB", async () => {
    const h = harness();
    const base = JSON.stringify({ deployment: "etl/daily", parameters: { pad: "" } });
    const body = JSON.stringify({
      deployment: "etl/daily",
      parameters: { pad: "x".repeat(MAX_BODY_BYTES - base.length) },
    });
    expect(body.length).toBe(MAX_BODY_BYTES);
    expect((await h.send(request(body))).status).toBe(202);
  });

  it("lets a key override the job variables it allows, dotted or not", async () => {
    const h = harness();
    const jobVariables = { image: "repo/etl:2", env: { A: "1" }, "env.B": "2" };
    expect((await h.send(request({ deployment: "etl/daily", jobVariables }))).status).toBe(202);
    expect(h.calls[0]?.message.jobVariables).toEqual(jobVariables);
  });

  it("accepts a request signed with the old and the new secret during rotation", async () => {
    const h = harness();
    const response = await h.send(
      request({ deployment: "etl/daily" }, { keyId: "ci", secret: [OLD_SECRET, CI_SECRET] }),
    );
    expect(response.status).toBe(202);
    await rejected(
      request({ deployment: "etl/daily" }, { keyId: "ci", secret: OLD_SECRET }),
      401,
      "bad_signature",
    );
  });

  it("gives a replayed request the same idempotency key, so one run is created", async () => {
    const h = harness();
    const req = request({ deployment: "etl/daily" });
    const first = payload(await h.send(req));
    const second = payload(await h.send(req));
    expect(first).toEqual({ flowRunId: "run-1", created: true });
    expect(second).toEqual({ flowRunId: "run-1", created: false });
    expect(h.calls[0]?.message.idempotencyKey).toBe(h.calls[1]?.message.idempotencyKey);
    await h.send(request({ deployment: "etl/daily" }, { ts: TS + 1 }));
    expect(h.calls[2]?.message.idempotencyKey).not.toBe(h.calls[0]?.message.idempotencyKey);
  });
});

describe("handleWebhook: rejections", () => {
  const ok = { deployment: "etl/daily" };

  it("routes POST /trigger only", async () => {
    await rejected({ ...request(ok), path: "/api/trigger" }, 404, "not_found");
    const h = harness();
    const response = await h.send({ ...request(ok), method: "GET" });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe("POST");
    expect(h.calls).toHaveLength(0);
  });

  it("rejects a body over 256 KiB before anything else", async () => {
    const big = JSON.stringify({ deployment: "etl/daily", parameters: { pad: "x".repeat(MAX_BODY_BYTES) } });
    expect(await rejected(request(big), 413, "payload_too_large")).toContain(`at most ${MAX_BODY_BYTES}`);
    const plusOne = new Uint8Array(MAX_BODY_BYTES + 1);
    await rejected(
      request(plusOne, { headers: { "x-pushpool-signature": undefined } }),
      413,
      "payload_too_large",
    );
  });

  it("rejects bad signatures and timestamps with precise codes", async () => {
    await rejected(request(ok, { secret: "wrong-secret-0123456789" }), 401, "bad_signature");
    await rejected(
      { ...request(ok), body: JSON.stringify({ deployment: "etl/other" }) },
      401,
      "bad_signature",
    );
    await rejected(request(ok, { ts: TS - 301 }), 401, "stale_timestamp");
    await rejected(request(ok, { ts: TS + 301 }), 401, "future_timestamp");
    await rejected(request(ok, { headers: { "x-pushpool-timestamp": undefined } }), 401, "missing_timestamp");
    await rejected(request(ok, { headers: { "x-pushpool-signature": undefined } }), 401, "missing_signature");
    await rejected(request(ok, { headers: { "x-pushpool-timestamp": "soon" } }), 401, "malformed_timestamp");
    await rejected(
      request(ok, { headers: { "x-pushpool-signature": "sha256=abc" } }),
      401,
      "malformed_signature",
    );
  });

  it("rejects an unknown key id, and a key id that did not sign", async () => {
    await rejected(request(ok, { keyId: "nobody" }), 401, "unknown_key");
    await rejected(request(ok, { keyId: "cron", secret: CI_SECRET }), 401, "bad_signature");
  });

  it("requires a JSON content type", async () => {
    await rejected(request(ok, { contentType: "text/plain" }), 415, "unsupported_media_type");
    await rejected(request(ok, { headers: { "content-type": undefined } }), 415, "unsupported_media_type");
    await rejected(
      request(ok, { contentType: "application/json; charset=latin1" }),
      415,
      "unsupported_media_type",
    );
  });

  it("rejects a body that is not JSON, with the parse error", async () => {
    expect(await rejected(request("{deployment: etl/daily"), 400, "invalid_json")).toMatch(
      /^body is not valid JSON: /,
    );
    expect(await rejected(request(new Uint8Array([0x7b, 0xff, 0x7d])), 400, "invalid_json")).toMatch(/UTF-8/);
  });

  it("rejects schema violations, naming the field", async () => {
    expect(await rejected(request({ parameters: {} }), 422, "invalid_body")).toMatch(/^deployment: /);
    expect(await rejected(request({ deployment: "daily" }), 422, "invalid_body")).toMatch(
      /deployment: must be/,
    );
    expect(await rejected(request({ ...ok, parameters: [1] }), 422, "invalid_body")).toMatch(/^parameters: /);
    expect(await rejected(request({ ...ok, params: {} }), 422, "invalid_body")).toMatch(/"params"/);
    expect(await rejected(request({ ...ok, scheduledTime: "tomorrow" }), 422, "invalid_body")).toMatch(
      /scheduledTime/,
    );
    expect(await rejected(request({ ...ok, idempotencyKey: "" }), 422, "invalid_body")).toMatch(
      /idempotencyKey/,
    );
    expect(await rejected(request([ok]), 422, "invalid_body")).toMatch(/\(root\)/);
  });

  it("rejects a deployment outside the key's allow-list, naming it", async () => {
    const message = await rejected(
      request({ deployment: "etl/weekly" }, { keyId: "ci" }),
      403,
      "deployment_not_allowed",
    );
    expect(message).toBe("key 'ci' may not trigger deployment 'etl/weekly'");
    const h = harness();
    await h.send(request({ deployment: "etl/weekly" }, { keyId: "ci" }));
    expect(h.lines).toHaveLength(1);
    expect(JSON.parse(h.lines[0] ?? "{}")).toMatchObject({
      level: "warn",
      keyId: "ci",
      deployment: "etl/weekly",
      status: 403,
      reason: "deployment_not_allowed",
    });
  });

  it("rejects job-variable overrides the key does not allow, naming them (dotted keys too)", async () => {
    const mixed = { ...ok, jobVariables: { "env.FOO": "1", command: "sh -c evil", "cpu.limit": 2 } };
    const m1 = await rejected(request(mixed), 403, "job_variables_not_allowed");
    expect(m1).toBe(`key 'ci' may not override job variables: "command", "cpu" (allowed: image, env)`);
    const dotted = { ...ok, jobVariables: { "env.FOO": "1" } };
    const m2 = await rejected(request(dotted, { secret: CRON_SECRET }), 403, "job_variables_not_allowed");
    expect(m2).toBe(`key 'cron' may not override job variables: "env" (allowed: none)`);
  });
});
