/**
 * @module
 * `pushpool --version`: the package's version and the Prefect release pushpool is pinned to and
 * tested against (functions/local/requirements.txt, when it ships alongside).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PREFECT_API_VERSION, PUSHPOOL_VERSION } from "../../../core/prefect/version.ts";

export function versionLine(): string {
  const prefect = pinnedPrefect();
  return `pushpool ${PUSHPOOL_VERSION} (${prefect ? `Prefect ${prefect}, ` : ""}API ${PREFECT_API_VERSION})`;
}

function pinnedPrefect(): string | undefined {
  try {
    const text = readFileSync(join(import.meta.dirname, "..", "requirements.txt"), "utf8");
    return /^prefect==(\S+)/m.exec(text)?.[1];
  } catch {
    return undefined;
  }
}
