/**
 * @module
 * A small checker for the relative links of Markdown files, as GitHub renders them: every link
 * `[text](path#anchor)`, image, reference definition and HTML `href` outside code must name a file
 * or folder of the repository, and an `#anchor` into a Markdown file must name one of its headings
 * (GitHub's slugs: lower case, punctuation and symbols dropped, spaces to `-`, repeats `-1`, `-2`…)
 * or an explicit `<a id>`/`<a name>`. Links with a scheme (`https:`, `mailto:`) are not followed.
 * The file system is injected, so the checker itself is tested on inline samples.
 */
import { posix } from "node:path";

/** A link target as written, with the 1-based line it is on. */
export interface Link {
  target: string;
  line: number;
}

/** What the checker may ask of the repository; paths are repository-relative, `/`-separated. */
export interface DocsTree {
  /** The text of a file, or undefined when there is no such file. */
  read(path: string): string | undefined;
  /** True for an existing file or folder. */
  exists(path: string): boolean;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+(?:"[^"]*"|'[^']*'))?\s*\)/g;
const REFERENCE_DEFINITION = /^ {0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/;
const HREF = /\bhref\s*=\s*"([^"]*)"/g;
const EXPLICIT_ANCHOR = /<a\s+[^>]*\b(?:id|name)\s*=\s*"([^"]+)"/g;
const SCHEME = /^[a-z][a-z0-9+.-]*:|^\/\//i;

/** Lines that are not inside a fenced code block, with their 1-based numbers. */
function proseLines(markdown: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, index) => {
    const opener = FENCE.exec(text)?.[1];
    if (fence) {
      if (opener && opener[0] === fence[0] && opener.length >= fence.length && text.trim() === opener)
        fence = undefined;
      return;
    }
    if (opener) {
      fence = opener;
      return;
    }
    out.push({ text, line: index + 1 });
  });
  return out;
}

/** `text` with its code spans removed (a span opened by n backticks closes at the next run of n). */
function withoutCodeSpans(text: string): string {
  return text.replace(/(`+)[\s\S]*?\1/g, "");
}

/** Every link target of a Markdown document, outside code blocks and code spans. */
export function extractLinks(markdown: string): Link[] {
  const links: Link[] = [];
  for (const { text, line } of proseLines(markdown)) {
    const prose = withoutCodeSpans(text);
    for (const match of prose.matchAll(INLINE_LINK)) links.push({ target: unwrap(match[1] ?? ""), line });
    const definition = REFERENCE_DEFINITION.exec(prose);
    if (definition) links.push({ target: unwrap(definition[1] ?? ""), line });
    for (const match of prose.matchAll(HREF)) links.push({ target: match[1] ?? "", line });
  }
  return links;
}

function unwrap(target: string): string {
  return target.startsWith("<") && target.endsWith(">") ? target.slice(1, -1) : target;
}

/** GitHub's anchor for one heading's text (github-slugger, before de-duplication). */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/`([^`]*)`/g, "$1")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "");
  return rendered
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown document offers: its headings' slugs (repeats numbered) and `<a id>`s. */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const add = (slug: string) => {
    let result = slug;
    while (anchors.has(result)) {
      const n = (seen.get(slug) ?? 0) + 1;
      seen.set(slug, n);
      result = `${slug}-${n}`;
    }
    anchors.add(result);
  };
  const lines = proseLines(markdown);
  lines.forEach(({ text, line }, i) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(text);
    if (atx) add(githubSlug((atx[1] ?? "").trim()));
    const next = lines[i + 1];
    const setext =
      next?.line === line + 1 &&
      /^ {0,3}(=+|-+)\s*$/.test(next.text) &&
      text.trim() !== "" &&
      !atx &&
      !/^\s*([-*+]\s|\d+[.)]\s|>|\|)/.test(text);
    if (setext) add(githubSlug(text.trim()));
    for (const match of text.matchAll(EXPLICIT_ANCHOR)) anchors.add(match[1] ?? "");
  });
  return anchors;
}

/**
 * The broken links of one Markdown file (`file` is repository-relative), each as
 * `file:line: target — reason`. An empty list means every relative link resolves.
 */
export function brokenLinks(file: string, tree: DocsTree): string[] {
  const text = tree.read(file);
  if (text === undefined) return [`${file}: no such file`];
  const problems: string[] = [];
  for (const { target, line } of extractLinks(text)) {
    if (target === "" || SCHEME.test(target)) continue;
    const reason = resolveProblem(file, target, tree);
    if (reason) problems.push(`${file}:${line}: ${target} — ${reason}`);
  }
  return problems;
}

function resolveProblem(file: string, target: string, tree: DocsTree): string | undefined {
  const hash = target.indexOf("#");
  const rawPath = (hash < 0 ? target : target.slice(0, hash)).replace(/\?.*$/, "");
  const fragment = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
  let path = file;
  if (rawPath !== "") {
    const decoded = decodeURIComponent(rawPath);
    path = decoded.startsWith("/")
      ? posix.normalize(decoded.slice(1))
      : posix.normalize(posix.join(posix.dirname(file), decoded));
    path = path.replace(/\/$/, "");
    if (path === ".." || path.startsWith("../")) return "points outside the repository";
    if (!tree.exists(path === "" ? "." : path)) return "no such file or folder";
  }
  if (fragment === undefined || !path.toLowerCase().endsWith(".md")) return undefined;
  const anchors = anchorsOf(tree.read(path) ?? "");
  return anchors.has(fragment) ? undefined : `no heading with anchor #${fragment} in ${path}`;
}

/** The Markdown files reachable from `start` by relative links (`start` included). */
export function reachableMarkdown(start: string, tree: DocsTree): Set<string> {
  const seen = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const { target } of extractLinks(tree.read(file) ?? "")) {
      if (SCHEME.test(target)) continue;
      const rawPath = target.split("#")[0] ?? "";
      if (!rawPath.toLowerCase().endsWith(".md")) continue;
      const path = rawPath.startsWith("/")
        ? posix.normalize(rawPath.slice(1))
        : posix.normalize(posix.join(posix.dirname(file), decodeURIComponent(rawPath)));
      if (tree.read(path) !== undefined) queue.push(path);
    }
  }
  return seen;
}
