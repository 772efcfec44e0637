/**
 * PUSHPOOL_PEER_DB parsing and the search for Debian's PostgreSQL binaries
 * (functions/local/postgresServer.ts): the default, the two accepted values, and errors that say
 * what to do; a Prefect server is not given two databases at once.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { peerDatabase, postgresBinDir } from "../../../functions/local/postgresServer.ts";
import { startPrefectServer } from "../../../functions/local/prefectServer.ts";

describe("peerDatabase (PUSHPOOL_PEER_DB)", () => {
  it("is sqlite when unset or empty, and the value when sqlite or postgres", () => {
    expect(peerDatabase({})).toBe("sqlite");
    expect(peerDatabase({ PUSHPOOL_PEER_DB: "" })).toBe("sqlite");
    expect(peerDatabase({ PUSHPOOL_PEER_DB: "sqlite" })).toBe("sqlite");
    expect(peerDatabase({ PUSHPOOL_PEER_DB: "postgres" })).toBe("postgres");
  });

  it("refuses anything else, naming the accepted values and the value given", () => {
    for (const value of ["postgresql", "Postgres", "pg", " sqlite"]) {
      expect(() => peerDatabase({ PUSHPOOL_PEER_DB: value })).toThrow(
        `PUSHPOOL_PEER_DB must be 'sqlite' (the default) or 'postgres', not ${JSON.stringify(value)}`,
      );
    }
  });
});

describe("postgresBinDir", () => {
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const withMajors = (...majors: string[]) => {
    root = mkdtempSync(join(tmpdir(), "pushpool-pgbin-"));
    for (const m of majors) {
      mkdirSync(join(root, m, "bin"), { recursive: true });
      writeFileSync(join(root, m, "bin", "postgres"), "");
    }
    return root;
  };

  it("picks the newest major that has a server binary (numerically: 16 after 9)", () => {
    const dir = withMajors("9", "16", "13");
    mkdirSync(join(dir, "17", "bin"), { recursive: true }); // a client-only leftover: no server
    expect(postgresBinDir(dir)).toBe(join(dir, "16", "bin"));
  });

  it("without a server, says which apt command installs one", () => {
    const dir = withMajors();
    expect(() => postgresBinDir(dir)).toThrow("apt-get update && apt-get install -y postgresql");
    expect(() => postgresBinDir(join(dir, "absent"))).toThrow(
      /PUSHPOOL_PEER_DB=postgres needs Debian's PostgreSQL/,
    );
  });
});

describe("startPrefectServer's database", () => {
  it("refuses a database together with PREFECT_SERVER_DATABASE_CONNECTION_URL, before starting anything", async () => {
    const env = { PREFECT_SERVER_DATABASE_CONNECTION_URL: "sqlite+aiosqlite:///elsewhere.db" };
    await expect(startPrefectServer({ database: "postgres", env })).rejects.toThrow(
      "give either a database or PREFECT_SERVER_DATABASE_CONNECTION_URL, not both",
    );
  });
});
