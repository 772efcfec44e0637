"""Runs Prefect's own ACI worker (PyPI ``prefect-azure``, pinned in .venv) on parity cases.

Reads ``{"cases": [...]}`` on stdin; each case carries the work pool, deployment, flow and flow run
JSON that pushpool's side uses too. For each case it builds the job configuration exactly as the
worker does (``AzureContainerJobConfiguration.resolve_for_flow_run``: merge job variables,
``from_template_and_values``, ``prepare_for_flow_run``) and runs the worker's real
``AzureContainerWorker.run`` against the local Azure Resource Manager in ``ARM_ENDPOINT``
(test/peers/azure/armFake.ts, https with a test CA given as ``REQUESTS_CA_BUNDLE`` to this process
only). The fake records every request; this driver prints what the worker returned.

Two seams, nothing else: the credentials block builds its real SDK clients with the fake's
``base_url`` and a static token (no Azure identity here), and the worker's Prefect client is a stand-in
that only reads the flow (no server needed).

Given ``{"template": true}``, it prints the worker's default base job template and nothing else.
Prints ``{"meta": {...}, "results": [...]}``; each result is ``{"ok": {"identifier", "pid"}}`` or
``{"error": {"class", "message", "pid"}}``.
"""

import asyncio
import json
import logging
import os
import sys
import time

import prefect
from azure.core.credentials import AccessToken
from azure.mgmt.containerinstance import ContainerInstanceManagementClient
from azure.mgmt.resource import ResourceManagementClient
from prefect.client.schemas.objects import Flow, FlowRun, WorkPool
from prefect.client.schemas.responses import DeploymentResponse
from prefect.settings import get_current_settings
from prefect.utilities.dockerutils import get_prefect_image_name
from prefect_azure.credentials import AzureContainerInstanceCredentials
from prefect_azure.workers import container_instance as aci_module
from prefect_azure.workers.container_instance import (
    AzureContainerJobConfiguration,
    AzureContainerWorker,
)

ENDPOINT = os.environ.get("ARM_ENDPOINT", "")


class StaticToken:
    """A TokenCredential for the local fake (it checks a bearer token is sent, not which)."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken("fake-arm-token", int(time.time()) + 3600)


def container_client(self, subscription_id):
    return ContainerInstanceManagementClient(StaticToken(), subscription_id, base_url=ENDPOINT)


def resource_client(self, subscription_id):
    return ResourceManagementClient(StaticToken(), subscription_id, base_url=ENDPOINT)


AzureContainerInstanceCredentials.get_container_client = container_client
AzureContainerInstanceCredentials.get_resource_client = resource_client


def decode(value):
    """pyOracle.ts tagged JSON: ``{"$pyfloat": repr}`` is a Python float."""
    if isinstance(value, dict):
        if set(value) == {"$pyfloat"}:
            return float(value["$pyfloat"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


class FakeClient:
    """The PrefectClient calls the worker makes (the flow only; no blocks or variables)."""

    def __init__(self, flow):
        self.flow = flow

    async def read_flow(self, flow_id):
        return Flow.model_validate(self.flow)


class Started:
    """Records the pid the worker reports with ``task_status.started``."""

    def __init__(self):
        self.value = None

    def started(self, value=None):
        self.value = value


async def run_case(case, started):
    pool = WorkPool.model_validate(case["pool"])
    flow_run = FlowRun.model_validate(case["flowRun"])
    deployment = case.get("deployment")
    client = FakeClient(case["flow"])
    configuration = await AzureContainerJobConfiguration.resolve_for_flow_run(
        flow_run,
        client=client,
        work_pool=pool,
        worker_name=case["workerName"],
        worker_id=case.get("workerId"),
        deployment=DeploymentResponse.model_validate(deployment) if deployment else None,
    )
    aci_module.get_client = lambda: client
    worker = AzureContainerWorker(work_pool_name=pool.name, name=case["workerName"])
    worker._work_pool = pool
    result = await worker.run(flow_run, configuration, task_status=started)
    return {"identifier": result.identifier, "status_code": result.status_code}


async def main():
    logging.getLogger("prefect").setLevel(logging.ERROR)
    payload = json.load(sys.stdin)
    if payload.get("template"):
        json.dump(AzureContainerWorker.get_default_base_job_template(), sys.stdout)
        return
    results = []
    for case in [decode(c) for c in payload["cases"]]:
        started = Started()
        try:
            out = await run_case(case, started)
            results.append({"ok": {**out, "pid": started.value}})
        except Exception as exc:  # noqa: BLE001 - the error itself is the result
            results.append(
                {"error": {"class": type(exc).__name__, "message": str(exc), "pid": started.value}}
            )
    meta = {
        "baseEnv": get_current_settings().to_environment_variables(exclude_unset=True),
        "version": prefect.__version__,
        "defaultImage": get_prefect_image_name(),
    }
    json.dump({"meta": meta, "results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    asyncio.run(main())
