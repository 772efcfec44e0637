import { describe, expect, it } from "vitest";
import { buildSignedRequest } from "../../core/cli/sign.ts";
import type { TriggerMessage } from "../../core/runtime/messages.ts";
import { ValidationError } from "../../core/shared/errors.ts";
import { handleWebhook, MAX_BODY_BYTES } from "../../core/webhook/handler.ts";
import { sign } from "../../core/webhook/signature.ts";

const SECRET = "cli-secret-0123456789abcdef";
const NOW = new Date("2026-08-01T12:00:00.900Z");
const TS = "1785585600"; // NOW in unix seconds, rounded down

describe("buildSignedRequest", () => {
  it("builds the headers and the exact body it signed", () => {
    const req = buildSignedRequest({
      url: "https://hooks.example.com/trigger",
      secret: SECRET,
      keyId: "ci",
      body: { deployment: "etl/daily", parameters: { n: 1 } },
      now: NOW,
    });
    expect(req).toEqual({
      url: "https://hooks.example.com/trigger",
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-pushpool-timestamp": TS,
        "x-pushpool-signature": `v1=${sign(SECRET, TS, '{"deployment":"etl/daily","parameters":{"n":1}}')}`,
        "x-pushpool-key-id": "ci",
      },
      body: '{"deployment":"etl/daily","parameters":{"n":1}}',
    });
  });

  it("appends /trigger to a base URL once", () => {
    const url = (u: string) =>
      buildSignedRequest({ url: u, secret: SECRET, body: { deployment: "a/b" }, now: NOW }).url;
    expect(url("https://abc.lambda-url.eu-west-1.on.aws/")).toBe(
      "https://abc.lambda-url.eu-west-1.on.aws/trigger",
    );
    expect(url("https://app.azurewebsites.net/api")).toBe("https://app.azurewebsites.net/api/trigger");
    expect(url("http://localhost:4200/trigger/")).toBe("http://localhost:4200/trigger");
  });

  it("is accepted by the webhook (round trip), without a key id header", async () => {
    const calls: TriggerMessage[] = [];
    const req = buildSignedRequest({
      url: "http://localhost/",
      secret: SECRET,
      body: { deployment: "a/b" },
      now: NOW,
    });
    expect(req.headers["x-pushpool-key-id"]).toBeUndefined();
    const response = await handleWebhook(
      { method: req.method, path: new URL(req.url).pathname, headers: req.headers, body: req.body },
      {
        keys: [{ id: "default", secret: SECRET, allowJobVariables: [] }],
        now: new Date(NOW.getTime() + 120_000),
        trigger: async (message) => {
          calls.push(message);
          return { flowRunId: "run-1", created: true };
        },
      },
    );
    expect(response.status).toBe(202);
    expect(calls.map((m) => [m.deployment, m.source])).toEqual([["a/b", "webhook:default"]]);
  });

  it("fails locally on an invalid body, an oversized body or a bad URL", () => {
    const build =
      (body: object, url = "https://x.example/") =>
      () =>
        buildSignedRequest({ url, secret: SECRET, body, now: NOW });
    expect(build({ deployment: "no-slash" })).toThrow(ValidationError);
    expect(build({ deployment: "a/b", params: {} })).toThrow(/invalid trigger body: .*"params"/);
    expect(build({ deployment: "a/b", parameters: { pad: "x".repeat(MAX_BODY_BYTES) } })).toThrow(
      /at most 262144/,
    );
    expect(build({ deployment: "a/b" }, "not a url")).toThrow(/not a valid absolute URL/);
    expect(build({ deployment: "a/b" }, "ftp://x.example/")).toThrow(/must be http\(s\)/);
  });
});
