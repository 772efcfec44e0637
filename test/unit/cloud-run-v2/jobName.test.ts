import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobIdFor, MAX_SLUG, slugifyName } from "../../../core/backends/cloud-run-v2/jobName.ts";
import { submitToken } from "../../../core/backends/token.ts";

const TOKEN = submitToken("9f1c2e3a-0001-4000-8000-000000000000", "claim-1");

describe("slugifyName (python-slugify with Prefect's Cloud Run pattern)", () => {
  it.each([
    ["dancing-dolphin", "dancing-dolphin"],
    ["Nightly ETL: v2.1", "nightly-etl-v2-1"],
    ["  --Café  Ünïcode--  ", "cafe-unicode"],
    ["it's 1,000 rows", "it-s-1000-rows"],
    ["snake_case_name", "snake-case-name"],
  ])("%j → %j", (name, slug) => {
    expect(slugifyName(name, 55)).toBe(slug);
  });

  it("cuts to the length, then trims a trailing dash", () => {
    expect(slugifyName("abcd-efgh", 5)).toBe("abcd");
    expect(slugifyName("x".repeat(60), MAX_SLUG)).toHaveLength(MAX_SLUG);
  });
});

describe("jobIdFor: Prefect's shape, the suffix from the claim token", () => {
  it("is stable for one token and differs for the next claim", () => {
    const id = jobIdFor("dancing-dolphin", TOKEN);
    expect(id).toBe(`dancing-dolphin-${TOKEN.slice(3, 19)}`);
    expect(jobIdFor("dancing-dolphin", TOKEN)).toBe(id);
    expect(
      jobIdFor("dancing-dolphin", submitToken("9f1c2e3a-0001-4000-8000-000000000000", "claim-2")),
    ).not.toBe(id);
  });

  it("starts with a letter even when the name does not (or is empty)", () => {
    expect(jobIdFor("2026 backfill", TOKEN)).toMatch(/^job-2026-backfill-[0-9a-f]{16}$/);
    expect(jobIdFor("", TOKEN)).toMatch(/^job-[0-9a-f]{16}$/);
    expect(jobIdFor(null, TOKEN)).toMatch(/^job-[0-9a-f]{16}$/);
  });

  it("refuses something that is not a submit token", () => {
    expect(() => jobIdFor("x", "not-a-token")).toThrow("not a submit token");
  });

  it("is always a valid Cloud Run job id (≤ 63, [a-z0-9-], a letter first, no trailing dash)", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.uuid(), (name, claim) => {
        const id = jobIdFor(name, submitToken(claim, "c"));
        expect(id).toMatch(/^[a-z][a-z0-9-]{0,61}[a-z0-9]$/);
        expect(id.length).toBeLessThanOrEqual(63);
      }),
    );
  });
});
