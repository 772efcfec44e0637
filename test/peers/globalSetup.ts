/**
 * The real peers for the whole test run (vitest globalSetup), started once and in parallel: one
 * Prefect server, one moto server and one azurite queue service (`inject("azuriteQueues")`). Tests read their addresses with `inject("prefectApiUrl")` and
 * `inject("motoEndpoint")`. A peer that cannot start fails the run with the reason.
 *
 * PUSHPOOL_PEER_DB=postgres puts the Prefect server on PostgreSQL: one private cluster for the run
 * (`inject("peerDatabase")`, where a test that starts its own Prefect server gets a fresh database),
 * instead of SQLite (the default, `inject("peerDatabase")` is then "sqlite").
 */
import type { TestProject } from "vitest/node";
import {
  type PostgresCluster,
  peerDatabase,
  type RunningPostgres,
  startPostgres,
} from "../../functions/local/postgresServer.ts";
import { startAzuriteQueues } from "./azure/azurite.ts";
import { startMotoServer } from "./motoServer.ts";
import { startPrefectServer } from "./prefectServer.ts";

declare module "vitest" {
  export interface ProvidedContext {
    prefectApiUrl: string;
    /** The SQLAlchemy URL of the shared Prefect server's database. */
    prefectDatabaseUrl: string;
    /** Pass as `startPrefectServer({ database })` so a test's own server uses the run's database kind. */
    peerDatabase: "sqlite" | PostgresCluster;
    motoEndpoint: string;
    /** azurite's queue service: a Storage connection string (test/peers/azure/azurite.ts). */
    azuriteQueues: string;
  }
}

export default async function setup(project: TestProject) {
  const kind = peerDatabase();
  let postgres: RunningPostgres | undefined;
  const startPrefect = async () => {
    if (kind === "postgres") postgres = await startPostgres();
    return await startPrefectServer({
      database: postgres ? clusterOf(postgres) : "sqlite",
      // A rejected claim (deployment concurrency) comes back after 2 s instead of 30 s.
      env: { PREFECT_SERVER_DEPLOYMENTS_CONCURRENCY_SLOT_WAIT_SECONDS: "2" },
    });
  };
  const [prefect, moto, azurite] = await Promise.allSettled([
    startPrefect(),
    startMotoServer(),
    startAzuriteQueues(),
  ]);
  if (prefect.status === "rejected" || moto.status === "rejected" || azurite.status === "rejected") {
    if (prefect.status === "fulfilled") await prefect.value.stop();
    if (moto.status === "fulfilled") await moto.value.stop();
    if (azurite.status === "fulfilled") await azurite.value.stop();
    await postgres?.stop();
    const reasons = [prefect, moto, azurite]
      .filter((r) => r.status === "rejected")
      .map((r) => String(r.reason));
    throw new Error(`a test peer could not start:\n${reasons.join("\n")}`);
  }
  project.provide("prefectApiUrl", prefect.value.apiUrl);
  project.provide("prefectDatabaseUrl", prefect.value.databaseUrl);
  project.provide("peerDatabase", postgres ? clusterOf(postgres) : "sqlite");
  project.provide("motoEndpoint", moto.value.endpoint);
  project.provide("azuriteQueues", azurite.value.connectionString);
  return async () => {
    await Promise.all([prefect.value.stop(), moto.value.stop(), azurite.value.stop()]);
    await postgres?.stop();
  };
}

function clusterOf({ bin, host, port, user, password }: RunningPostgres): PostgresCluster {
  return { bin, host, port, user, password };
}
