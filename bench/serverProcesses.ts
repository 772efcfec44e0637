/**
 * @module
 * Where the Prefect server and its PostgreSQL run, as process ids for bench/awsCpu.ts's /proc
 * sampling: both are this process's descendants (functions/local/prefectServer.ts and
 * postgresServer.ts spawn them), found by their command lines: `prefect server start … --port
 * <port>` (the API URL's port), and the postmaster whose `-D` is the cluster's data folder (its
 * backends, one per connection, are its children and counted with it by a tree sampler).
 */
import { readFileSync } from "node:fs";
import { treeOf } from "./awsCpu.ts";

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

/** The topmost descendant of this process whose command line satisfies `match`, or null. */
function descendantWhere(match: (args: string[]) => boolean): number | null {
  for (const pid of treeOf(process.pid)) if (pid !== process.pid && match(cmdline(pid))) return pid;
  return null;
}

/** The `prefect server start` process serving `apiUrl`. */
export function prefectServerPid(apiUrl: string): number | null {
  const port = new URL(apiUrl).port;
  return descendantWhere((a) => {
    const i = a.indexOf("server");
    return i >= 0 && a[i + 1] === "start" && a.includes(port) && a.includes("--port");
  });
}

/** The postmaster of the cluster in `dir` (its data folder is `<dir>/data`). */
export function postmasterPid(dir: string): number | null {
  const data = `${dir}/data`;
  return descendantWhere((a) => a.some((x) => x.endsWith("postgres")) && a.includes(data));
}
