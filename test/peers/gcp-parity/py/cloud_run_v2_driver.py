"""Renders parity cases through Prefect's own Cloud Run v2 worker configuration (PyPI ``prefect-gcp``,
pinned in .venv): ``CloudRunWorkerJobV2Configuration.resolve_for_flow_run`` (merge job variables,
``from_template_and_values``, ``prepare_for_flow_run`` with the worker's own job_body mutations).

Reads ``{"cases": [...]}`` on stdin (each: work pool, deployment, flow, flow run, worker name/id,
as test/peers/aws-parity/py/ecs_worker_driver.py takes them). A pool with ``base_job_template:
null`` gets ``CloudRunWorkerV2.get_default_base_job_template()``. Given ``{}``, prints that
template only.

Prints ``{"meta": {...}, "results": [...]}``; each result is ``{"ok": {"jobBody", "jobName",
"project", "region", "keepJob"}}`` or ``{"error": {"class", "message"}}``.

The GcpCredentials block asks Application Default Credentials for a project when it has none;
there are none here, so ``google.auth.default`` answers anonymous credentials and the project
``parity-adc-project`` (nothing is sent to Google: only the configuration is built).
"""

import asyncio
import copy
import json
import logging
import sys

import google.auth
from google.auth.credentials import AnonymousCredentials

google.auth.default = lambda *args, **kwargs: (AnonymousCredentials(), "parity-adc-project")

import prefect  # noqa: E402
from prefect.client.schemas.objects import Flow, FlowRun, WorkPool  # noqa: E402
from prefect.client.schemas.responses import DeploymentResponse  # noqa: E402
from prefect.settings import get_current_settings  # noqa: E402
from prefect.utilities.dockerutils import get_prefect_image_name  # noqa: E402
from prefect_gcp.workers.cloud_run_v2 import (  # noqa: E402
    CloudRunWorkerJobV2Configuration,
    CloudRunWorkerV2,
)


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
    """The PrefectClient calls resolve_for_flow_run makes (the flow only; no blocks or variables)."""

    def __init__(self, flow):
        self.flow = flow

    async def read_flow(self, flow_id):
        return Flow.model_validate(self.flow)


async def run_case(case, default_template):
    pool_json = dict(case["pool"])
    if pool_json.get("base_job_template") is None:
        pool_json["base_job_template"] = copy.deepcopy(default_template)
    pool = WorkPool.model_validate(pool_json)
    flow_run = FlowRun.model_validate(case["flowRun"])
    deployment = case.get("deployment")
    configuration = await CloudRunWorkerJobV2Configuration.resolve_for_flow_run(
        flow_run,
        client=FakeClient(case["flow"]),
        work_pool=pool,
        worker_name=case["workerName"],
        worker_id=case.get("workerId"),
        deployment=DeploymentResponse.model_validate(deployment) if deployment else None,
    )
    return {
        "jobBody": configuration.job_body,
        "jobName": configuration.job_name,
        "project": configuration.project,
        "region": configuration.region,
        "keepJob": configuration.keep_job,
    }


async def main():
    logging.getLogger("prefect").setLevel(logging.ERROR)
    payload = json.load(sys.stdin)
    default_template = CloudRunWorkerV2.get_default_base_job_template()
    if "cases" not in payload:
        json.dump(default_template, sys.stdout)
        return
    results = []
    for case in [decode(c) for c in payload["cases"]]:
        try:
            results.append({"ok": await run_case(case, default_template)})
        except Exception as exc:  # noqa: BLE001 - the error itself is the result
            results.append({"error": {"class": type(exc).__name__, "message": str(exc)}})
    meta = {
        "baseEnv": get_current_settings().to_environment_variables(exclude_unset=True),
        "version": prefect.__version__,
        "defaultImage": get_prefect_image_name(),
        "workerTemplate": default_template,
    }
    json.dump({"meta": meta, "results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    asyncio.run(main())
