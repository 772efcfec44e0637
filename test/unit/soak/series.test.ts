import { describe, expect, it } from "vitest";
import { parseSoakOutput } from "../../soak/series.ts";

const PASSED = `soak: peers up in 9.1 s
soak — seed 2, 500 runs, 281 s
Prefect requests per run                       | 16.6 (all pushpool's requests ÷ runs); writes naming a run: p50 6, p95 9, max 13
time to settled                                | p50 67.5 s, p95 134.0 s
runs lost                                      | 0
runs stuck                                     | 0
tasks duplicated                               | 0
verdict                                        | PASS
soak: PASS in 281 s wall
`;

describe("soak series: reading one soak's table", () => {
  it("takes the verdict and the figures the series reports", () => {
    expect(parseSoakOutput(PASSED)).toEqual({
      pass: true,
      lost: "0",
      stuck: "0",
      duplicated: "0",
      settleP95: "134.0 s",
      requestsPerRun: "16.6",
      wallSeconds: "281",
    });
  });

  it("a failed soak, or one that died before its table, is not a pass", () => {
    const failed = PASSED.replace(
      "runs stuck                                     | 0",
      "runs stuck | 2",
    ).replace("soak: PASS in 281 s wall", "soak: FAIL in 600 s wall");
    expect(parseSoakOutput(failed)).toMatchObject({ pass: false, stuck: "2", wallSeconds: "600" });
    expect(parseSoakOutput("soak: Error: moto did not start")).toEqual({ pass: false });
  });
});
