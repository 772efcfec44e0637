import { describe, expect, it } from "vitest";
import { latestOccurrence, parseNcrontab } from "../../../functions/azure/ncrontab.ts";

const at = (iso: string) => new Date(iso);
const latest = (expr: string, iso: string) => latestOccurrence(parseNcrontab(expr), at(iso))?.toISOString();

describe("NCRONTAB", () => {
  it("names the latest occurrence at or before a time", () => {
    expect(latest("0 */5 * * * *", "2026-12-07T03:14:59.900Z")).toBe("2026-12-07T03:10:00.000Z");
    expect(latest("0 */5 * * * *", "2026-12-07T03:15:00.000Z")).toBe("2026-12-07T03:15:00.000Z");
    expect(latest("30 0 3 * * MON-FRI", "2026-12-07T02:00:00Z")).toBe("2026-12-04T03:00:30.000Z");
    expect(latest("0 0 0 29 FEB *", "2027-06-01T00:00:00Z")).toBe("2024-02-29T00:00:00.000Z");
    expect(latest("0 0 12 * * 7", "2026-12-07T00:00:00Z")).toBe("2026-12-06T12:00:00.000Z");
    expect(latest("10,40 * * * * *", "2026-12-07T00:00:39Z")).toBe("2026-12-07T00:00:10.000Z");
    expect(latest("5/20 0 0 1 JAN *", "2026-12-07T00:00:00Z")).toBe("2026-01-01T00:00:45.000Z");
  });

  it("rejects what the host would not run, naming the field and the problem", () => {
    expect(() => parseNcrontab("*/5 * * * *")).toThrow(/has 5 fields; NCRONTAB has 6/);
    expect(() => parseNcrontab("00:05:00")).toThrow(/is a TimeSpan/);
    expect(() => parseNcrontab("0 60 * * * *")).toThrow(/minute 60 is outside 0-59/);
    expect(() => parseNcrontab("0 0 0 * FOO *")).toThrow(/month 'FOO' is not a number or a name/);
    expect(() => parseNcrontab("0 */0 * * * *")).toThrow(
      /minute '\*\/0': the step must be a positive integer/,
    );
    expect(() => parseNcrontab("0 0 0 10-2 * *")).toThrow(/day '10-2' runs backwards/);
    expect(() => parseNcrontab("0 0 0 30 FEB *")).toThrow(/never fires/);
  });
});
