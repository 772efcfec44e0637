/**
 * The shared Prefect server really is on the database PUSHPOOL_PEER_DB asked for: a work pool
 * created through the API is a row in that database, read back with the database's own client
 * (psql on the run's PostgreSQL cluster; Python's sqlite3 on the server's SQLite file).
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { peerDatabase, psql } from "../../functions/local/postgresServer.ts";
import { PrefectAdmin } from "./helpers/prefectAdmin.ts";
import { VENV_BIN } from "./prefectServer.ts";

const SQL = "SELECT name, type FROM work_pool WHERE name = ";

describe("the shared Prefect server's database", () => {
  it("is the one PUSHPOOL_PEER_DB names, and holds what the API wrote", async () => {
    const url = inject("prefectDatabaseUrl");
    const shared = inject("peerDatabase");
    const pool = await new PrefectAdmin(inject("prefectApiUrl")).createWorkPool();
    let row: string;
    if (peerDatabase() === "postgres") {
      expect(url).toMatch(/^postgresql\+asyncpg:\/\/[^@]+@127\.0\.0\.1:\d+\/\w+$/);
      if (typeof shared !== "object")
        throw new Error(`peerDatabase should be the run's cluster, is ${shared}`);
      const database = new URL(url.replace(/^postgresql\+asyncpg:/, "postgresql:")).pathname.slice(1);
      row = await psql(shared, database, `${SQL}'${pool.name}'`);
    } else {
      expect(shared).toBe("sqlite");
      expect(url).toMatch(/^sqlite\+aiosqlite:\/\/\/.+\.db$/);
      const file = url.replace(/^sqlite\+aiosqlite:\/\//, "");
      const py = `import sqlite3,sys\nfor r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print("|".join(r))`;
      const r = spawnSync(join(VENV_BIN, "python"), ["-c", py, file, `${SQL}'${pool.name}'`], {
        encoding: "utf8",
      });
      expect(r.stderr).toBe("");
      row = r.stdout.trim();
    }
    expect(row).toBe(`${pool.name}|process`);
  });
});
