import { describe, expect, it } from "vitest";
import { parseSoakOutput } from "../../soak/series.ts";

// Lines as test/soak/verdict.ts prints them (from a real run: sqlite, seed 20261128, 2026-12-07).
const PASSED = `soak: peers up in 9.1 s
soak — seed 20261128, 500 runs, 257 s
  Prefect requests per run                              | 13.5 (all pushpool's requests ÷ runs); writes naming a run: p50 4, p95 6, max 8
    read run                                            | 5.63 per run (2814)
  time to settled                                       | p50 47.1 s, p95 99.9 s
  runs lost                                             | 0
  waited for quiet                                      | quiet 34 s after faults ended (cap 600 s, stuck after 160 s without progress)
  runs stuck (no progress for 160 s after faults ended) | 0
  runs slow (still progressing at the cap)              | 0
  tasks duplicated                                      | 0
  verdict                                               | PASS
soak: PASS in 269 s wall
`;

describe("soak series: reading one soak's table", () => {
  it("takes the verdict and the figures the series reports", () => {
    expect(parseSoakOutput(PASSED)).toEqual({
      pass: true,
      lost: "0",
      stuck: "0",
      duplicated: "0",
      settleP95: "99.9 s",
      requestsPerRun: "13.5",
      wallSeconds: "269",
    });
  });

  it("a failed soak, or one that died before its table, is not a pass", () => {
    const failed = PASSED.replace(
      "runs stuck (no progress for 160 s after faults ended) | 0",
      "runs stuck (no progress for 160 s after faults ended) | 2",
    ).replace("soak: PASS in 269 s wall", "soak: FAIL in 600 s wall");
    expect(parseSoakOutput(failed)).toMatchObject({ pass: false, stuck: "2", wallSeconds: "600" });
    expect(parseSoakOutput("soak: Error: moto did not start")).toEqual({ pass: false });
  });
});
