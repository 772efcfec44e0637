/**
 * @module
 * The fake Azure of `npm run bench:azure`: one local Azure Resource Manager per side (the same
 * code, test/peers/azure/armFake.ts, https with a test CA, so each side's requests are its own),
 * and what points Prefect's ACI worker at it: as in the ACI parity driver
 * (test/peers/azure-parity/py/aci_worker_driver.py), the credentials block's two client getters
 * build the real Azure SDK clients with the fake's `base_url` and a static token — set by a
 * `sitecustomize.py` on the worker's PYTHONPATH, nothing else of the worker changes — and the
 * worker trusts the fake's CA through REQUESTS_CA_BUNDLE.
 *
 * Submission time of a run = when its side's fake received the deployment PUT that creates its
 * container group (the same clock and place for both sides). Containers exit 0 on their own a
 * few steps after they start (`autoExitCode`), so the worker's watch ends as it would.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type ArmFake, startArmFake } from "../test/peers/azure/armFake.ts";
import type { CloudWorld } from "./cloudBench.ts";
import type { Submission } from "./cloudReport.ts";

const SUBSCRIPTION = "00000000-0000-4000-8000-0000000000b1";
const RESOURCE_GROUP = "pushpool-bench-rg";

/** The value of the first `{name: "PREFECT__FLOW_RUN_ID", value}` anywhere in `body`. */
function flowRunIdIn(body: unknown): string | undefined {
  if (Array.isArray(body)) {
    for (const v of body) {
      const found = flowRunIdIn(v);
      if (found) return found;
    }
    return undefined;
  }
  if (!body || typeof body !== "object") return undefined;
  const o = body as Record<string, unknown>;
  if (o.name === "PREFECT__FLOW_RUN_ID" && typeof o.value === "string") return o.value;
  for (const v of Object.values(o)) {
    const found = flowRunIdIn(v);
    if (found) return found;
  }
  return undefined;
}

async function side(stepMs: number): Promise<{ fake: ArmFake; submissions: Submission[] }> {
  const fake = await startArmFake({ stepMs, autoExitCode: 0 });
  const submissions: Submission[] = [];
  const put = fake.world.putDeployment.bind(fake.world);
  const seen = new Set<string>();
  // The fake calls this for every deployment PUT it accepts; the first per flow run is its submission.
  fake.world.putDeployment = (sub, rg, name, body) => {
    const flowRunId = flowRunIdIn(body);
    if (flowRunId && !seen.has(flowRunId)) {
      seen.add(flowRunId);
      submissions.push({ flowRunId, at: Date.now() });
    }
    return put(sub, rg, name, body);
  };
  return { fake, submissions };
}

function opOf(method: string, path: string): string {
  if (/\/operationStatuses\//i.test(path)) return "GetOperationStatus";
  if (/\/deployments\/[^/]+$/i.test(path)) return `${method} deployment`;
  if (/\/containers\/[^/]+\/logs$/i.test(path)) return "GetLogs";
  if (/\/containerGroups\/[^/]+$/i.test(path)) return `${method} containerGroup`;
  return `${method} other`;
}

const SITECUSTOMIZE = `# pushpool bench: Prefect's ACI worker talks to the local ARM fake (bench/azureWorld.ts).
import os

_endpoint = os.environ.get("PUSHPOOL_BENCH_ARM_ENDPOINT")
if _endpoint:
    import time

    from azure.core.credentials import AccessToken
    from prefect_azure.credentials import AzureContainerInstanceCredentials

    class _StaticToken:
        def get_token(self, *scopes, **kwargs):
            return AccessToken("bench-token", int(time.time()) + 3600)

    def _container_client(self, subscription_id):
        from azure.mgmt.containerinstance import ContainerInstanceManagementClient

        return ContainerInstanceManagementClient(_StaticToken(), subscription_id, base_url=_endpoint)

    def _resource_client(self, subscription_id):
        from azure.mgmt.resource import ResourceManagementClient

        return ResourceManagementClient(_StaticToken(), subscription_id, base_url=_endpoint)

    AzureContainerInstanceCredentials.get_container_client = _container_client
    AzureContainerInstanceCredentials.get_resource_client = _resource_client
`;

export async function startAzureWorld(o: { home: string; runSeconds: number }): Promise<CloudWorld> {
  // Running → Succeeded → the container exits: three steps from the PUT.
  const stepMs = Math.max(100, Math.round((o.runSeconds * 1000) / 3));
  const sides = { pushpool: await side(stepMs), worker: await side(stepMs) };
  const py = join(o.home, "worker-python");
  mkdirSync(py, { recursive: true });
  writeFileSync(join(py, "sitecustomize.py"), SITECUSTOMIZE);
  const ca = join(o.home, "arm-ca.pem");
  writeFileSync(ca, sides.worker.fake.ca);
  return {
    target: { cloud: "azure", endpoint: sides.pushpool.fake.endpoint, caPem: sides.pushpool.fake.ca },
    submissions: (s) => sides[s].submissions,
    calls: (s) => {
      const out: Record<string, number> = {};
      for (const r of sides[s].fake.requests) {
        const op = opOf(r.method, r.path);
        out[op] = (out[op] ?? 0) + 1;
      }
      return out;
    },
    describe:
      "one Azure Resource Manager fake per side (test/peers/azure/armFake.ts, https; pushpool through @azure/arm-resources and " +
      "@azure/arm-containerinstance, the worker through the Python Azure SDK with only its clients' base_url and token replaced), " +
      "each container exiting 0 a few steps after its group starts.",
    jobVariables: { subscription_id: SUBSCRIPTION, resource_group_name: RESOURCE_GROUP },
    workerEnv: {
      PYTHONPATH: py,
      PUSHPOOL_BENCH_ARM_ENDPOINT: sides.worker.fake.endpoint,
      REQUESTS_CA_BUNDLE: ca,
    },
    async stop() {
      await Promise.all([sides.pushpool.fake.close(), sides.worker.fake.close()]);
    },
  };
}
