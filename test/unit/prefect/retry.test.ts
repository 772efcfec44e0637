import { describe, expect, it } from "vitest";
import { RETRYABLE_STATUSES, retryAfterSeconds } from "../../../core/prefect/retry.ts";
import { backoffDelay } from "../../../core/shared/retry.ts";

describe("backoffDelay", () => {
  const opts = (random: number) => ({ base: 500, cap: 15_000, random: () => random });

  it("draws uniformly below base·2^attempt (full jitter)", () => {
    expect(backoffDelay(0, opts(0.5))).toBe(250);
    expect(backoffDelay(3, opts(0.5))).toBe(2000);
    expect(backoffDelay(3, opts(0))).toBe(0);
    expect(backoffDelay(3, opts(0.999))).toBe(3996);
  });

  it("never exceeds the cap, even for huge attempt numbers", () => {
    expect(backoffDelay(10, opts(0.5))).toBe(7500);
    expect(backoffDelay(5000, opts(0.999))).toBeLessThan(15_000);
    expect(Number.isFinite(backoffDelay(5000, opts(0.999)))).toBe(true);
  });

  it("clamps a random source that strays outside [0, 1]", () => {
    expect(backoffDelay(1, opts(-3))).toBe(0);
    expect(backoffDelay(1, opts(7))).toBe(1000);
  });
});

describe("retryAfterSeconds", () => {
  const now = new Date("2026-11-28T12:00:00Z");

  it("reads delay-seconds, clamping negatives to 0", () => {
    expect(retryAfterSeconds("3", now)).toBe(3);
    expect(retryAfterSeconds(" 1.5 ", now)).toBe(1.5);
    expect(retryAfterSeconds("-2", now)).toBe(0);
  });

  it("reads the three HTTP-date forms relative to now", () => {
    expect(retryAfterSeconds("Sat, 28 Nov 2026 12:00:10 GMT", now)).toBe(10);
    expect(retryAfterSeconds("Saturday, 28-Nov-26 12:01:00 GMT", now)).toBe(60);
    expect(retryAfterSeconds("Sat Nov 28 12:00:05 2026", now)).toBe(5);
  });

  it("gives 0 for a date in the past", () => {
    expect(retryAfterSeconds("Fri, 27 Nov 2026 12:00:00 GMT", now)).toBe(0);
  });

  it("gives undefined for anything else", () => {
    expect(retryAfterSeconds(undefined, now)).toBeUndefined();
    expect(retryAfterSeconds(null, now)).toBeUndefined();
    expect(retryAfterSeconds("", now)).toBeUndefined();
    expect(retryAfterSeconds("soon", now)).toBeUndefined();
    expect(retryAfterSeconds("5 apples", now)).toBeUndefined();
    expect(retryAfterSeconds("Sat, 99 Nov 2026 12:00:10 GMT", now)).toBeUndefined();
  });
});

describe("RETRYABLE_STATUSES", () => {
  it("matches Prefect's client: 408, 429, 502, 503 — not 500 or 504", () => {
    expect([...RETRYABLE_STATUSES].sort()).toEqual([408, 429, 502, 503]);
    expect(RETRYABLE_STATUSES.has(500)).toBe(false);
  });
});
