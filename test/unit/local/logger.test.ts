import { describe, expect, it } from "vitest";
import { consoleLogger, logLevel, retriesAtDebug } from "../../../functions/local/logger.ts";

describe("console logger", () => {
  it("drops what is below its level", () => {
    const lines: string[] = [];
    const log = consoleLogger({ level: "warn", write: (l) => lines.push(l) });
    log.debug("d");
    log.info("i");
    log.warn("w", { pool: "p" });
    log.error("e");
    expect(lines.map((l) => l.slice(13))).toEqual(["warn  w pool=p", "error e"]);
  });

  it("takes Prefect's level names", () => {
    expect(["debug", "INFO", "warning", "warn", "error", "loud"].map(logLevel)).toEqual([
      "debug",
      "info",
      "warn",
      "warn",
      "error",
      undefined,
    ]);
  });

  it("puts the client's retry warnings at debug, as Prefect's client logs them", () => {
    const lines: string[] = [];
    const log = retriesAtDebug(consoleLogger({ level: "info", write: (l) => lines.push(l) }));
    log.warn("Prefect API request failed, retrying", { status: 503 });
    expect(lines).toEqual([]);
    const debugLines: string[] = [];
    retriesAtDebug(consoleLogger({ level: "debug", write: (l) => debugLines.push(l) })).warn("retrying");
    expect(debugLines[0]).toMatch(/ debug retrying$/);
    log.error("failed for good");
    expect(lines).toHaveLength(1);
  });
});
