/**
 * The Vertex worker's label slugify. Expected values were produced by prefect-gcp's own call
 * (`slugify(text, lowercase=True, replacements=[("/", "_"), (".", "-")], max_length=63,
 * regex_pattern=r"[^-a-zA-Z0-9_]+")`, python-slugify 9.1.3 in .venv); the parity test
 * (test/peers/gcp-parity/vertexWorker.parity.test.ts) checks whole label sets against the worker.
 */
import { describe, expect, it } from "vitest";
import { slugifyLabel, TOKEN_LABEL, vertexLabels } from "../../../core/backends/vertex-ai/labels.ts";

const PYTHON: Record<string, string> = {
  "prefect.io/flow-name": "prefect-io_flow-name",
  "prefect.io/deployment-updated": "prefect-io_deployment-updated",
  "2026-08-21T12:00:00+00:00": "2026-08-21t12-00-00-00-00",
  "Nightly.Backfill/2026 Été": "nightly-backfill_2026-ete",
  "--Lead_and_trail--": "lead_and_trail",
  "it's 1,000 runs": "it-s-1000-runs",
  ["a".repeat(70)]: "a".repeat(63),
  [`${"x".repeat(62)}.y`]: "x".repeat(62),
  "&amp; tom &#233; &#x41;": "tom-e-a",
  "UPPER lower_Under": "upper-lower_under",
  "  spaced  out  ": "spaced-out",
  "a--b..c//d": "a-b-c__d",
  "9to5": "9to5",
  "": "",
};

describe("slugifyLabel (the Vertex worker's _get_compatible_labels)", () => {
  for (const [input, expected] of Object.entries(PYTHON))
    it(JSON.stringify(input.length > 30 ? `${input.slice(0, 30)}…` : input), () => {
      expect(slugifyLabel(input)).toBe(expected);
    });

  it("drops a non-ASCII letter unidecode would transliterate (declared in docs/parity/vertex-ai.md)", () => {
    expect(slugifyLabel("über/straße")).toBe("uber_strae"); // Python: uber_strasse
  });
});

describe("vertexLabels", () => {
  it("slugifies keys and values, with no cap and no first-character rule", () => {
    const many = Object.fromEntries(Array.from({ length: 70 }, (_, i) => [`k${i}`, "v"]));
    expect(Object.keys(vertexLabels(many))).toHaveLength(70);
    expect(vertexLabels({ "prefect.io/flow-run-name": "Dancing.Dolphin", "9lives": "x" })).toEqual({
      "prefect-io_flow-run-name": "dancing-dolphin",
      "9lives": "x",
    });
  });

  it("the token label is a valid Vertex label key", () => {
    expect(TOKEN_LABEL).toMatch(/^[a-z][a-z0-9_-]{0,62}$/);
  });
});
