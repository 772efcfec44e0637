/**
 * AciBackend (core/backends/azure-container-instance/) against the backend conformance suite,
 * through the real Azure port (functions/azure/aciApi.ts: the real `@azure/arm-resources` and
 * `@azure/arm-containerinstance` clients) talking to the local Azure Resource Manager
 * (test/peers/azure/armFake.ts) over https, with a CA made for the run and trusted by these
 * clients only. A cold instance is a new AciBackend on a new port factory (new SDK clients): it
 * shares only the fake ARM with the others. Jobs are Prefect's own default template
 * (prefect-azure's), rendered and prepared as dispatch does.
 *
 * A piece of infrastructure is a container group an accepted deployment creates (counted from the
 * PUT; the group itself exists a step later).
 *
 * Declared limits: a local ARM, not Azure — the template language is the subset Prefect's template
 * and customised ones use (test/peers/azure/armTemplate.ts), `uniqueString` is a stand-in hash,
 * deployments advance in fixed steps, containers run nothing (a container ends when `finish` says,
 * with its exit code), and an ambiguous start is the connection cut after the deployment was applied.
 */
import { Agent } from "node:https";
import { AciBackend } from "../../../core/backends/azure-container-instance/index.ts";
import { parsePid } from "../../../core/backends/azure-container-instance/names.ts";
import { aciApiFactory } from "../../../functions/azure/aciApi.ts";
import { type ArmFake, startArmFake } from "../../peers/azure/armFake.ts";
import { REQUIRED, renderAci } from "../../unit/aci/render.ts";
import { type BackendHarness, describeBackendConformance, newFlowRun } from "./suite.ts";

/** A credential for the fake (ARM's bearer policy needs one; the fake checks it is sent). */
export const fakeCredential = {
  getToken: async () => ({ token: "fake-arm-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

async function aciHarness(): Promise<BackendHarness> {
  const arm: ArmFake = await startArmFake({ stepMs: 100 });
  const agent = new Agent({ ca: arm.ca, keepAlive: true });
  const instance = () =>
    new AciBackend({
      aciApiFor: aciApiFactory({ endpoint: arm.endpoint, credential: fakeCredential, agent }),
    });
  const sub = String(REQUIRED.subscription_id);
  const rg = String(REQUIRED.resource_group_name);
  return {
    backend: instance(),
    cold: instance,
    async newJob() {
      const run = newFlowRun();
      run.state = {
        type: "PENDING",
        name: "Pending",
        timestamp: new Date().toISOString(),
      } as typeof run.state;
      const { config, ctx } = await renderAci({}, { run });
      return { config, ctx };
    },
    failNextStartAmbiguously() {
      arm.failNextDeployAmbiguously();
    },
    async count() {
      return arm.world.groupsDeployed.size;
    },
    async finish(_job, pid, exitCode) {
      const parsed = parsePid(pid);
      if (!parsed) throw new Error(`not an ACI pid: ${pid}`);
      // The deployment may still be creating the group: wait for it (generously, on a busy machine).
      const deadline = Date.now() + 30_000;
      while (!arm.group(sub, rg, parsed.group)) {
        if (Date.now() > deadline) throw new Error(`container group ${parsed.group} never appeared`);
        await new Promise((r) => setTimeout(r, 50));
      }
      arm.finish(sub, rg, parsed.group, exitCode, [`exiting with ${exitCode}`]);
    },
    unknownPid: () => `${newFlowRun().id}:never-deployed-${newFlowRun().id}`,
    // Longer than one deployment PUT takes on a busy machine (the fake answers in milliseconds).
    settleMs: 8_000,
    async teardown() {
      agent.destroy();
      await arm.close();
    },
  };
}

describeBackendConformance(
  "azure-container-instance (AciBackend on a local ARM over https, real SDK clients)",
  aciHarness,
);
