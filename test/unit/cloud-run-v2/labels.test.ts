import { describe, expect, it } from "vitest";
import { MAX_LABELS, mergeLabels, sanitizeLabels } from "../../../core/backends/cloud-run-v2/labels.ts";

describe("GCP labels as prefect-gcp writes them", () => {
  it("sanitises keys and values", () => {
    expect(
      sanitizeLabels({
        "prefect.io/flow-run-id": "9F1C2E3A-0001",
        "Team.Name": "Data Platform",
        "9lives": "x",
        ___: "dropped",
        [`k${"x".repeat(80)}`]: "v".repeat(80),
      }),
    ).toEqual({
      "prefect-io-flow-run-id": "9f1c2e3a-0001",
      "team-name": "data-platform",
      lives: "x",
      [`k${"x".repeat(62)}`]: "v".repeat(63),
    });
  });

  it("the template's labels win and are never dropped; Prefect's last labels go first past 64", () => {
    const prefect = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`p${i}`, "v"]));
    const merged = mergeLabels(prefect, { p0: "template", own: "kept" });
    expect(Object.keys(merged)).toHaveLength(MAX_LABELS);
    expect(merged.p0).toBe("template");
    expect(merged.own).toBe("kept");
    expect(merged.p62).toBe("v");
    expect(merged).not.toHaveProperty("p63");
  });
});
