import { describe, expect, it } from "vitest";
import { PrefectApiError, ValidationError, WebhookError } from "../../core/shared/errors.ts";
import { CI_SECRET, CRON_SECRET, harness, PARAM_SECRET, payload, request, TS } from "./webhookHarness.ts";

describe("handleWebhook: trigger errors", () => {
  async function failWith(error: unknown) {
    const h = harness(error);
    const response = await h.send(request({ deployment: "etl/daily", parameters: { token: PARAM_SECRET } }));
    expect(h.calls).toHaveLength(1);
    return { status: response.status, body: payload(response), lines: h.lines };
  }

  it("maps caller mistakes to 4xx", async () => {
    const notFound = await failWith(
      new PrefectApiError(404, "POST", "/deployments/name/etl/daily", "Deployment not found"),
    );
    expect([notFound.status, notFound.body.error]).toEqual([404, "deployment_not_found"]);
    expect(notFound.body.message).toContain("'etl/daily'");
    const invalid = await failWith(
      new PrefectApiError(422, "POST", "/x", "Validation failed: 'day' is required"),
    );
    expect([invalid.status, invalid.body.error]).toEqual([422, "invalid_parameters"]);
    expect(invalid.body.message).toContain("'day' is required");
    const validation = await failWith(new ValidationError("scheduledTime is too far ahead"));
    expect([validation.status, validation.body.error]).toEqual([422, "invalid_request"]);
    const conflict = await failWith(new WebhookError(409, "already running"));
    expect([conflict.status, conflict.body]).toEqual([
      409,
      { error: "conflict", message: "already running" },
    ]);
  });

  it("maps core/trigger's DeploymentNotFoundError (by name, as from another bundle) and Prefect 400s", async () => {
    class DeploymentNotFoundError extends ValidationError {}
    const missing = await failWith(new DeploymentNotFoundError("deployment 'etl/daily' not found"));
    expect([missing.status, missing.body]).toEqual([
      404,
      { error: "deployment_not_found", message: "deployment 'etl/daily' not found" },
    ]);
    const bad = await failWith(new PrefectApiError(400, "POST", "/x", "bad job_variables"));
    expect([bad.status, bad.body.error, bad.body.message]).toEqual([
      422,
      "invalid_request",
      "Prefect refused the run: bad job_variables",
    ]);
  });

  it("maps anything else to a generic 502 and logs the detail", async () => {
    for (const error of [
      new PrefectApiError(500, "POST", "/x", "database is locked"),
      new PrefectApiError(401, "POST", "/x", "Invalid API key"),
      new Error("database is locked"),
    ]) {
      const r = await failWith(error);
      expect([r.status, r.body.error]).toEqual([502, "upstream_error"]);
      expect(r.body.message).not.toMatch(/database|API key/);
      expect(
        r.lines.some((l) => l.includes('"level":"error"') && /database is locked|Invalid API key/.test(l)),
      ).toBe(true);
    }
  });
});

describe("handleWebhook: secrecy", () => {
  it("never puts a secret, the signature or the body in a response or a log line", async () => {
    const h = harness();
    const body = { deployment: "etl/daily", parameters: { token: PARAM_SECRET } };
    const requests = [
      request(body),
      request({ ...body, deployment: "etl/weekly" }),
      request(body, { secret: "wrong-secret-0123456789" }),
      request(body, { ts: TS - 1000 }),
      request(body, { keyId: "nobody" }),
      request(body, { contentType: "text/plain" }),
      request({ ...body, jobVariables: { command: PARAM_SECRET } }),
    ];
    const signatures = requests.map((r) => (r.headers["x-pushpool-signature"] ?? "").slice(3));
    const texts: string[] = [];
    for (const req of requests) texts.push((await h.send(req)).body);
    texts.push(...h.lines);
    expect(h.lines.length).toBe(requests.length);
    for (const text of texts) {
      for (const secret of [CI_SECRET, CRON_SECRET, PARAM_SECRET, ...signatures])
        expect(text).not.toContain(secret);
    }
  });
});
