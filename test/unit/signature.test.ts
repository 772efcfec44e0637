import { describe, expect, it } from "vitest";
import {
  DEFAULT_TOLERANCE_SECONDS,
  sign,
  signatureFingerprint,
  signatureHeader,
  type VerifyInput,
  verify,
} from "../../core/webhook/signature.ts";

const SECRET = "test-secret-0123456789";
const OLD_SECRET = "old-secret-abcdefghijkl";
const BODY = '{"deployment":"etl/daily"}';
const TS = 1_700_000_000;
const NOW = new Date(TS * 1000);
// Computed independently: printf '%s' '1700000000.{"deployment":"etl/daily"}' | openssl dgst -sha256 -hmac <SECRET>
const VECTOR = "cd1837b889e9c518b0be07b3858b47efce66a46231cc4409aa9da83a85185589";

function input(overrides: Partial<VerifyInput> = {}): VerifyInput {
  return {
    secrets: SECRET,
    timestamp: String(TS),
    signature: `v1=${VECTOR}`,
    body: BODY,
    now: NOW,
    ...overrides,
  };
}

function failureOf(result: ReturnType<typeof verify>): string {
  return result.ok ? "ok" : result.reason;
}

describe("sign", () => {
  it("matches an independently computed HMAC-SHA256 of '<timestamp>.<body>'", () => {
    expect(sign(SECRET, TS, BODY)).toBe(VECTOR);
    expect(sign(SECRET, String(TS), new TextEncoder().encode(BODY))).toBe(VECTOR);
  });

  it("builds a header with one v1 value per secret", () => {
    expect(signatureHeader([SECRET, OLD_SECRET], TS, BODY)).toBe(
      `v1=${VECTOR},v1=${sign(OLD_SECRET, TS, BODY)}`,
    );
  });
});

describe("verify", () => {
  it("accepts a valid signature and reports the matching value", () => {
    expect(verify(input())).toEqual({ ok: true, secretIndex: 0, signature: VECTOR });
  });

  it("accepts upper-case hex and surrounding whitespace", () => {
    const result = verify(input({ signature: ` v1=${VECTOR.toUpperCase()} `, timestamp: ` ${TS} ` }));
    expect(result).toEqual({ ok: true, secretIndex: 0, signature: VECTOR });
  });

  it("reports missing headers precisely", () => {
    expect(failureOf(verify(input({ timestamp: undefined })))).toBe("missing_timestamp");
    expect(failureOf(verify(input({ timestamp: "  " })))).toBe("missing_timestamp");
    expect(failureOf(verify(input({ signature: undefined })))).toBe("missing_signature");
    expect(failureOf(verify(input({ signature: "" })))).toBe("missing_signature");
  });

  it("rejects timestamps that are not unix seconds", () => {
    for (const timestamp of ["abc", "1.5", "-5", "1e9", "2023-11-14T22:13:20Z", "1700000000000000"]) {
      expect(failureOf(verify(input({ timestamp })))).toBe("malformed_timestamp");
    }
  });

  it("enforces the ±300 s window, inclusive at the edge", () => {
    expect(DEFAULT_TOLERANCE_SECONDS).toBe(300);
    const at = (offset: number) => {
      const timestamp = TS + offset;
      return verify(
        input({ timestamp: String(timestamp), signature: `v1=${sign(SECRET, timestamp, BODY)}` }),
      );
    };
    expect(at(-300).ok).toBe(true);
    expect(at(300).ok).toBe(true);
    const stale = at(-301);
    expect(failureOf(stale)).toBe("stale_timestamp");
    expect(stale.ok ? "" : stale.message).toContain("301 s in the past");
    expect(failureOf(at(301))).toBe("future_timestamp");
  });

  it("honours a custom tolerance", () => {
    const timestamp = TS - 61;
    const signature = `v1=${sign(SECRET, timestamp, BODY)}`;
    expect(failureOf(verify(input({ timestamp: String(timestamp), signature, toleranceSeconds: 60 })))).toBe(
      "stale_timestamp",
    );
  });

  it("rejects malformed signature headers", () => {
    for (const signature of [
      "abc",
      `v2=${VECTOR}`,
      "v1=abcd",
      `v1=${VECTOR}00`,
      `v1=${"z".repeat(64)}`,
      "v1=",
    ]) {
      expect(failureOf(verify(input({ signature })))).toBe("malformed_signature");
    }
  });

  it("rejects a wrong signature, a wrong secret, a changed body and a changed timestamp", () => {
    expect(failureOf(verify(input({ signature: `v1=${"0".repeat(64)}` })))).toBe("bad_signature");
    expect(failureOf(verify(input({ secrets: "another-secret-0123456" })))).toBe("bad_signature");
    expect(failureOf(verify(input({ body: `${BODY} ` })))).toBe("bad_signature");
    expect(failureOf(verify(input({ timestamp: String(TS + 1) })))).toBe("bad_signature");
  });

  it("supports rotation: several v1 values and several secrets", () => {
    const both = signatureHeader([OLD_SECRET, SECRET], TS, BODY);
    expect(verify(input({ signature: both })).ok).toBe(true);
    const oldOnly = `v0=ignored, v1=${sign(OLD_SECRET, TS, BODY)}`;
    expect(verify(input({ secrets: [SECRET, OLD_SECRET], signature: oldOnly }))).toMatchObject({
      ok: true,
      secretIndex: 1,
    });
    expect(failureOf(verify(input({ secrets: [], signature: oldOnly })))).toBe("bad_signature");
  });

  it("never puts the secret or the expected signature in a message", () => {
    const cases: Partial<VerifyInput>[] = [
      { signature: `v1=${"1".repeat(64)}` },
      { signature: "garbage" },
      { timestamp: String(TS - 1000) },
      { timestamp: String(TS + 1000) },
      { timestamp: "x" },
      { timestamp: undefined },
    ];
    for (const overrides of cases) {
      const result = verify(input(overrides));
      expect(result.ok).toBe(false);
      const text = JSON.stringify(result);
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain(VECTOR);
    }
  });
});

describe("signatureFingerprint", () => {
  it("is stable, case-insensitive and does not reveal the signature", () => {
    const fp = signatureFingerprint(VECTOR);
    expect(fp).toMatch(/^[0-9a-f]{40}$/);
    expect(signatureFingerprint(VECTOR.toUpperCase())).toBe(fp);
    expect(VECTOR).not.toContain(fp);
    expect(signatureFingerprint("0".repeat(64))).not.toBe(fp);
  });
});
