"""Renders parity cases through Prefect's own Vertex AI worker (PyPI ``prefect-gcp``, pinned in
.venv): ``VertexAIWorkerJobConfiguration.resolve_for_flow_run`` (merge job variables,
``from_template_and_values``, ``prepare_for_flow_run`` with the worker's env, command and
service-account mutations), the worker's ``_get_compatible_labels`` and the configuration's
``job_name`` (the CustomJob's display name), ``project`` and ``region``.

Reads ``{"cases": [...]}`` on stdin (as cloud_run_v2_driver.py takes them). A pool with
``base_job_template: null`` gets ``VertexAIWorker.get_default_base_job_template()``. Given ``{}``,
prints that template only.

Prints ``{"meta": {...}, "results": [...]}``; each result is ``{"ok": {"jobSpec", "displayName",
"labels", "project", "region"}}`` or ``{"error": {"class", "message"}}``. ``meta.aiplatform``
says whether ``google-cloud-aiplatform`` (which the worker's ``_build_job_spec`` and client need)
is importable here.

Application Default Credentials are patched as in cloud_run_v2_driver.py: anonymous credentials
(no service-account e-mail) and the project ``parity-adc-project``; nothing is sent to Google.
"""

import asyncio
import copy
import importlib.util
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
from prefect_gcp.workers.vertex import (  # noqa: E402
    VertexAIWorker,
    VertexAIWorkerJobConfiguration,
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
    configuration = await VertexAIWorkerJobConfiguration.resolve_for_flow_run(
        flow_run,
        client=FakeClient(case["flow"]),
        work_pool=pool,
        worker_name=case["workerName"],
        worker_id=case.get("workerId"),
        deployment=DeploymentResponse.model_validate(deployment) if deployment else None,
    )
    return {
        "jobSpec": configuration.job_spec,
        "displayName": configuration.job_name,
        # An instance method that reads only the configuration.
        "labels": VertexAIWorker._get_compatible_labels(None, configuration=configuration),
        "project": configuration.project,
        "region": configuration.region,
    }


async def main():
    logging.getLogger("prefect").setLevel(logging.ERROR)
    payload = json.load(sys.stdin)
    default_template = VertexAIWorker.get_default_base_job_template()
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
        "workerTemplate": default_template,
        "aiplatform": importlib.util.find_spec("google.cloud.aiplatform_v1") is not None
        if importlib.util.find_spec("google.cloud") is not None
        else False,
    }
    json.dump({"meta": meta, "results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    asyncio.run(main())
