import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  anchorsOf,
  brokenLinks,
  type DocsTree,
  extractLinks,
  githubSlug,
  reachableMarkdown,
} from "./docsLinkCheck.ts";

const ROOT = join(import.meta.dirname, "..", "..");
const README_MAX_LINES = 250;

/** The repository on disk, as the checker sees it. */
const repo: DocsTree = {
  read: (path) => {
    const full = join(ROOT, path);
    return existsSync(full) && statSync(full).isFile() ? readFileSync(full, "utf8") : undefined;
  },
  exists: (path) => existsSync(join(ROOT, path)),
};

/** A tree held in memory: files by path; folders are the prefixes of their paths. */
function memoryTree(files: Record<string, string>): DocsTree {
  return {
    read: (path) => files[path],
    exists: (path) =>
      path === "." || path in files || Object.keys(files).some((f) => f.startsWith(`${path}/`)),
  };
}

function markdownUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return markdownUnder(path);
    return entry.name.endsWith(".md") ? [path] : [];
  });
}

const DOCS = ["README.md", ...markdownUnder("docs")];

describe("the link checker", () => {
  const sample = [
    "# Guide",
    "See [setup](docs/setup.md#install-it), [the guide](#guide) and [a folder](docs/).",
    "Broken: [missing](docs/nope.md), [bad anchor](docs/setup.md#uninstall), [here](#nowhere).",
    "Not links: `[code](docs/nope.md)` and https://example.com and [web](https://example.com/x.md).",
    "```md",
    "[fenced](docs/nope.md)",
    "```",
    "[ref]: docs/setup.md",
    '<a href="docs/gone.md">html</a>',
  ].join("\n");
  const tree = memoryTree({
    "README.md": sample,
    "docs/setup.md": "# Set-up\n\n## Install it\n",
  });

  it("finds links outside code, and only those", () => {
    expect(extractLinks(sample).map((l) => l.target)).toEqual([
      "docs/setup.md#install-it",
      "#guide",
      "docs/",
      "docs/nope.md",
      "docs/setup.md#uninstall",
      "#nowhere",
      "https://example.com/x.md",
      "docs/setup.md",
      "docs/gone.md",
    ]);
  });

  it("reports each broken file and anchor, with its line", () => {
    expect(brokenLinks("README.md", tree)).toEqual([
      "README.md:3: docs/nope.md — no such file or folder",
      "README.md:3: docs/setup.md#uninstall — no heading with anchor #uninstall in docs/setup.md",
      "README.md:3: #nowhere — no heading with anchor #nowhere in README.md",
      "README.md:9: docs/gone.md — no such file or folder",
    ]);
  });

  it("refuses links that leave the repository", () => {
    const outside = memoryTree({ "docs/a.md": "[up](../../etc/passwd)" });
    expect(brokenLinks("docs/a.md", outside)).toEqual([
      "docs/a.md:1: ../../etc/passwd — points outside the repository",
    ]);
  });

  it("slugs headings as GitHub does", () => {
    expect(githubSlug(`Replacing "Start a worker" in Prefect's guide`)).toBe(
      "replacing-start-a-worker-in-prefects-guide",
    );
    expect(githubSlug("`npm run bench` — local stack vs. the `process` worker")).toBe(
      "npm-run-bench--local-stack-vs-the-process-worker",
    );
    expect(githubSlug("Idle cost next to an always-on Fargate worker (us-east-1)")).toBe(
      "idle-cost-next-to-an-always-on-fargate-worker-us-east-1",
    );
    expect(githubSlug("Parity with [Prefect](https://prefect.io)'s ECS_worker")).toBe(
      "parity-with-prefects-ecs_worker",
    );
  });

  it("numbers repeated headings, reads setext headings and explicit anchors", () => {
    const anchors = anchorsOf('# A\n## A\nTitle\n=====\n<a id="here"></a>\n```\n# not a heading\n```\n');
    expect([...anchors].sort()).toEqual(["a", "a-1", "here", "title"]);
  });
});

describe("the documentation", () => {
  it(`README.md has at most ${README_MAX_LINES} lines`, () => {
    const lines = readFileSync(join(ROOT, "README.md"), "utf8").replace(/\n$/, "").split("\n");
    expect(lines.length).toBeLessThanOrEqual(README_MAX_LINES);
  });

  it("links into docs/ from the README", () => {
    const targets = extractLinks(repo.read("README.md") ?? "").map((l) => l.target);
    expect(targets.filter((t) => t.startsWith("docs/")).length).toBeGreaterThanOrEqual(8);
  });

  it.each(DOCS)("%s: every relative link and #anchor resolves", (file) => {
    expect(brokenLinks(file, repo)).toEqual([]);
  });

  it("every page under docs/ is reachable from the README", () => {
    const reachable = reachableMarkdown("README.md", repo);
    expect(DOCS.filter((f) => !reachable.has(f))).toEqual([]);
  });
});
