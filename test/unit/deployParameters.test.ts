/**
 * functions/aws/package/validate.ts: every rule with good and bad values, one line per problem
 * naming the parameter, and `npm run package:aws` refusing bad parameters before it builds anything.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { checkParameters, type Parameters, report } from "../../functions/aws/package/validate.ts";

const ACCOUNT = "111122223333";
const VALID: Parameters = {
  prefectApiUrl: "https://prefect.acme.internal/api",
  containerApiUrl: "",
  pools: "ecs-a,ecs-b",
  ecsClusters: "default",
  ecsExecutionRoles: "ecsTaskExecutionRole",
  ecsTaskRoles: "",
  ecsTaskFamilyPrefixes: "",
  ecsTaskLogGroups: "prefect",
  prefectApiKeySecret: "",
  prefectAuthStringSecret: "",
  webhookKeysSecret: "",
  secretsKmsKeyArn: "",
  logLevel: "INFO",
  crons: "[]",
};
const problems = (p: Parameters) => checkParameters({ ...VALID, ...p });
const ok = (p: Parameters) => expect(problems(p)).toEqual([]);
/** Exactly one problem, on that parameter, matching the pattern. */
const bad = (p: Parameters, line: RegExp) => {
  const found = problems(p);
  expect(found).toHaveLength(1);
  expect(found[0]).toMatch(line);
};

describe("deploy parameters: prefectApiUrl and containerApiUrl", () => {
  it("accept a server's …/api and a Prefect Cloud workspace URL", () => {
    ok({});
    ok({ prefectApiUrl: "http://10.0.3.7:4200/api" });
    ok({ prefectApiUrl: "https://prefect.acme.internal/prefect/api/" });
    ok({
      prefectApiUrl:
        "https://api.prefect.cloud/api/accounts/0b8c7d2e-1111-2222-3333-444455556666/workspaces/9f8e7d6c-1111-2222-3333-444455556666",
    });
    ok({ containerApiUrl: "http://prefect.flows.local:4200/api" });
  });

  it("refuse missing, placeholder, malformed, loopback and credential-bearing URLs, naming the fix", () => {
    bad({ prefectApiUrl: "" }, /^prefectApiUrl: not set; pass --param="prefectApiUrl=https:\/\//);
    bad({ prefectApiUrl: "https://prefect.invalid/api" }, /^prefectApiUrl: '.*' is a placeholder/);
    bad({ prefectApiUrl: "https://prefect.example.com/api" }, /^prefectApiUrl: .* is a placeholder/);
    bad(
      {
        prefectApiUrl: "https://api.prefect.cloud/api/accounts/<account>/workspaces/<workspace>",
      },
      /^prefectApiUrl: .* is a placeholder/,
    );
    bad({ prefectApiUrl: "prefect.acme.internal/api" }, /^prefectApiUrl: '.*' is not a URL/);
    bad({ prefectApiUrl: "ftp://prefect.acme.internal/api" }, /^prefectApiUrl: '.*' is not http\(s\)/);
    bad({ prefectApiUrl: "https://prefect.acme.internal" }, /^prefectApiUrl: '.*' does not end in \/api/);
    bad({ prefectApiUrl: "https://prefect.acme.internal/api/x" }, /does not end in \/api/);
    bad({ prefectApiUrl: "http://127.0.0.1:4200/api" }, /^prefectApiUrl: .* loopback .* a Lambda function/);
    bad({ containerApiUrl: "http://localhost:4200/api" }, /^containerApiUrl: .* loopback .* an ECS task/);
    bad({ containerApiUrl: "https://prefect.invalid/api" }, /^containerApiUrl: .* is a placeholder/);
    const withPassword = problems({ prefectApiUrl: "https://admin:hunter2@prefect.acme.internal/api" });
    expect(withPassword).toEqual([expect.stringMatching(/^prefectApiUrl: holds credentials/)]);
    expect(withPassword[0]).not.toContain("hunter2");
  });
});

describe("deploy parameters: pools, clusters, roles, families, log groups", () => {
  it("accept names and ARNs", () => {
    ok({ pools: "ecs pool, gpu-pool" });
    ok({ ecsClusters: `flows,arn:aws:ecs:eu-west-1:${ACCOUNT}:cluster/gpu` });
    ok({
      ecsExecutionRoles: `arn:aws:iam::${ACCOUNT}:role/service/pushpool-exec`,
      ecsTaskRoles: "flow-role",
    });
    ok({ ecsTaskFamilyPrefixes: "prefect_,etl-", ecsTaskLogGroups: "prefect,/ecs/flows" });
  });

  it("refuse empty lists and malformed items, one line per item", () => {
    bad({ pools: "" }, /^pools: empty; pass --param="pools=/);
    bad({ pools: " , " }, /^pools: empty/);
    bad({ pools: "ok,a/b" }, /^pools: 'a\/b' is not a work pool name/);
    bad({ ecsClusters: "" }, /^ecsClusters: empty/);
    bad({ ecsClusters: `arn:aws:ecs:us-east-1:${ACCOUNT}:service/x` }, /^ecsClusters: '.*service\/x' is not/);
    bad({ ecsExecutionRoles: `arn:aws:iam::${ACCOUNT}:user/x` }, /^ecsExecutionRoles: '.*user\/x' is not/);
    bad({ ecsTaskRoles: "a role" }, /^ecsTaskRoles: 'a role' is not an IAM role/);
    bad({ ecsTaskFamilyPrefixes: "bad family*" }, /^ecsTaskFamilyPrefixes: 'bad family\*' is not/);
    bad({ ecsTaskLogGroups: "no spaces allowed" }, /^ecsTaskLogGroups: 'no spaces allowed' is not/);
    expect(problems({ ecsTaskRoles: "a b,c d" })).toHaveLength(2);
  });
});

describe("deploy parameters: secrets, KMS key, log level", () => {
  const secretArn = `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:pushpool/prefect-api-key-AbCdEf`;
  it("accept a full Secrets Manager ARN, an SSM parameter ARN or name, a KMS key ARN", () => {
    ok({ prefectApiKeySecret: secretArn });
    ok({ prefectAuthStringSecret: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/pushpool/auth` });
    ok({ webhookKeysSecret: "/pushpool/webhook-keys" });
    ok({ webhookKeysSecret: "pushpool-webhook-keys" });
    ok({ secretsKmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab` });
    ok({ logLevel: "debug" });
  });

  it("refuse a Secrets Manager ARN without its suffix, a secret name, the secret itself", () => {
    bad(
      { prefectApiKeySecret: secretArn.slice(0, -7) },
      /^prefectApiKeySecret: '.*prefect-api-key' lacks the secret's 6-character suffix .* describe-secret/,
    );
    bad(
      { webhookKeysSecret: "pushpool/webhook-keys" },
      /^webhookKeysSecret: 'pushpool\/webhook-keys' is neither an SSM parameter name .* --secret-id pushpool\/webhook-keys/,
    );
    const key = problems({ prefectApiKeySecret: "pnu_0123456789abcdefghij" });
    expect(key).toEqual([expect.stringMatching(/^prefectApiKeySecret: looks like the secret itself/)]);
    expect(key[0]).not.toContain("pnu_0123456789");
    bad({ prefectAuthStringSecret: "arn:aws:s3:::bucket" }, /^prefectAuthStringSecret: .* is not a Secrets/);
    bad({ secretsKmsKeyArn: "alias/aws/secretsmanager" }, /^secretsKmsKeyArn: .* is not a KMS key ARN/);
    bad({ logLevel: "LOUD" }, /^logLevel: 'LOUD' is not one of TRACE, DEBUG/);
  });
});

describe("deploy parameters: crons", () => {
  const cron = { name: "nightly", schedule: "cron(0 3 * * ? *)", deployment: "etl/nightly" };
  const crons = (...entries: unknown[]) => ({ crons: JSON.stringify(entries) });

  it("accept EventBridge cron(), rate() and at() schedules with their optional fields", () => {
    ok(crons(cron));
    ok({ crons: [cron] });
    ok(
      crons(
        { ...cron, schedule: "cron(0/15 8-17 ? * MON-FRI *)", timezone: "Europe/Paris", enabled: false },
        { name: "hourly", schedule: "rate(1 hour)", deployment: "0b8c7d2e-1111-2222-3333-444455556666" },
        { name: "days", schedule: "rate(2 days)", deployment: "f/d", parameters: { full: true } },
        { name: "last", schedule: "cron(0 3 L * ? 2027)", deployment: "f/d", jobVariables: { cpu: 512 } },
        { name: "third-fri", schedule: "cron(0 3 ? * 6#3 *)", deployment: "f/d", description: "x" },
        { name: "once", schedule: "at(2027-01-31T03:00:00)", deployment: "f/d" },
      ),
    );
  });

  it("refuse each bad schedule with the EventBridge form to write instead", () => {
    const schedule = (s: string, line: RegExp) => bad(crons({ ...cron, schedule: s }), line);
    schedule(
      "0 3 * * *",
      /^crons\[0\]\.schedule: '0 3 \* \* \*' is not an EventBridge schedule; write cron\(/,
    );
    schedule("cron(0 3 * * *)", /^crons\[0\]\.schedule: .* has 5 fields; EventBridge takes 6/);
    schedule("cron(0 3 * * * *)", /exactly one of day-of-month and day-of-week must be '\?'/);
    schedule("cron(0 3 ? * ? *)", /exactly one of day-of-month and day-of-week/);
    schedule("cron(0 24 * * ? *)", /hours '24': '24' is not in 0-23/);
    schedule("cron(? 3 * * ? *)", /minutes cannot be '\?'/);
    schedule("cron(0 3 * FOO ? *)", /month 'FOO'/);
    schedule("cron(0 3 * * ? 1900)", /year '1900'/);
    schedule("cron(*/0 3 * * ? *)", /a step must be at least 1/);
    schedule("rate(1 hours)", /with 1 the unit is singular: rate\(1 hour\)/);
    schedule("rate(5 minute)", /with 5 the unit is plural: rate\(5 minutes\)/);
    schedule("rate(0 minutes)", /at least 1/);
    schedule("rate(5 weeks)", /rate\(<positive integer> minutes\|hours\|days\)/);
    schedule("at(2027-02-30T03:00:00)", /at\(yyyy-mm-ddThh:mm:ss\)/);
  });

  it("refuse malformed entries, field by field, all at once", () => {
    bad({ crons: "{" }, /^crons: is not JSON/);
    bad({ crons: "{}" }, /^crons: must be a list/);
    bad(crons({ ...cron, name: "-x" }), /^crons\[0\]\.name: must be 1-64 characters/);
    bad(crons({ ...cron, deployment: "just-a-name" }), /^crons\[0\]\.deployment: must be 'flow-name/);
    bad(crons({ ...cron, timezone: "Mars/Olympus" }), /^crons\[0\]\.timezone: is not an IANA time zone/);
    bad(crons({ ...cron, enabled: "yes" }), /^crons\[0\]\.enabled: must be true or false/);
    bad(crons({ ...cron, parameters: [1] }), /^crons\[0\]\.parameters: must be an object/);
    bad(crons({ ...cron, extra: 1 }), /^crons\[0\]: has an unknown field; allowed: .* \(got extra\)/);
    bad(crons({ name: "a", schedule: "rate(1 hour)" }), /^crons\[0\]\.deployment: missing/);
    bad(crons(cron, { ...cron, name: "Nightly" }), /^crons\[1\]\.name: 'Nightly' collides with 'nightly'/);
    const many = problems(
      crons({ name: "", schedule: "x", deployment: "y" }, { ...cron, schedule: "rate(1 days)" }),
    );
    expect(many.map((l) => l.split(":")[0])).toEqual([
      "crons[0].name",
      "crons[0].schedule",
      "crons[0].deployment",
      "crons[1].schedule",
    ]);
  });
});

describe("every problem at once", () => {
  it("lists one line per problem, in parameter order, under one header", () => {
    const found = checkParameters({ ...VALID, prefectApiUrl: "https://prefect.invalid/api", pools: "" });
    expect(found.map((l) => l.split(":")[0])).toEqual(["prefectApiUrl", "pools"]);
    const text = report(found);
    expect(text.split("\n")[0]).toBe(
      "pushpool: 2 deploy parameters to fix (nothing was packaged or deployed):",
    );
    expect(text.trimEnd().split("\n")).toHaveLength(3);
  });
});

describe("npm run package:aws", () => {
  it("refuses bad parameters with one line each and exit 1, before packaging", async () => {
    const root = resolve(import.meta.dirname, "../..");
    const out = await mkdtemp(join(tmpdir(), "pushpool-refused-"));
    try {
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
      const result = await promisify(execFile)(
        process.platform === "win32" ? "npm.cmd" : "npm",
        [
          "run",
          "--silent",
          "package:aws",
          "--",
          "--package",
          out,
          `--param=prefectApiKeySecret=arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:prefect-api-key`,
          '--param=crons=[{"name":"nightly","schedule":"0 3 * * *","deployment":"etl/nightly"}]',
        ],
        { cwd: root, env: { ...env, SLS_NOTIFICATIONS_MODE: "off" }, timeout: 120_000 },
      ).then(
        () => ({ code: 0, stderr: "" }),
        (e: { code?: number; stderr?: string }) => ({ code: e.code, stderr: e.stderr ?? "" }),
      );
      expect(result.code).toBe(1);
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines[0]).toBe("pushpool: 4 deploy parameters to fix (nothing was packaged or deployed):");
      expect(lines.slice(1).map((l) => l.trim().split(":")[0])).toEqual([
        "prefectApiUrl",
        "pools",
        "prefectApiKeySecret",
        "crons[0].schedule",
      ]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(out, "cloudformation-template-update-stack.json"))).toBe(false);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 150_000);
});
