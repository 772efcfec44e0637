import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/runtime/config.ts";
import { localBanner, safeUrl, stoppedLine } from "../../../functions/local/commands/localBanner.ts";

describe("pushpool local's banner and last line", () => {
  it("names the worker, pools, API (no credentials), queues, tick, webhook and limit", () => {
    const config = loadConfig({
      PREFECT_API_URL: "https://prefect.example.com/api?token=abc",
      PREFECT_API_KEY: "pnu_secret",
      PUSHPOOL_POOLS: "a,b",
      PUSHPOOL_WORK_QUEUES: "high",
      PUSHPOOL_LIMIT: "2",
      PUSHPOOL_TICK_SECONDS: "5",
    });
    const { lines, fields } = localBanner({
      config,
      profile: { name: "dev", settings: {} },
      apiFromEnv: false,
      stack: { webhookUrl: "http://127.0.0.1:8787/trigger" },
    });
    expect(lines).toEqual([
      "pushpool local stack running: worker 'pushpool' serving 'a', 'b'",
      "  Prefect API  https://prefect.example.com/api (profile 'dev')",
      "  work queues  high",
      "  tick         every 5 s",
      "  webhook      http://127.0.0.1:8787/trigger",
      "  limit        2 flow runs at once",
      "Stop with Ctrl-C.",
    ]);
    expect(JSON.stringify(fields)).not.toContain("pnu_secret");
    expect(JSON.stringify(fields)).not.toContain("token=abc");
  });

  it("strips user info, query and fragment from a URL", () => {
    expect(safeUrl("http://user:pw@host:4200/api?x=1#f")).toBe("http://host:4200/api");
    expect(safeUrl("not a url")).toBe("(not a URL)");
  });

  it("says what became of the flow processes still running", () => {
    expect(stoppedLine(0)).toBe("pushpool local: stopped; no flow runs were running.");
    expect(stoppedLine(1)).toMatch(
      /^pushpool local: stopped; 1 flow run was still running and was killed \(/,
    );
    expect(stoppedLine(3)).toMatch(/; 3 flow runs were still running and were killed \(/);
  });
});
