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

With ``"grpc": "127.0.0.1:<port>"`` in the payload (the JobService fake's gRPC face), every case that
resolves is then submitted by the worker itself: ``VertexAIWorker.run`` on a copy of the resolved
configuration (``_build_job_spec``, CreateCustomJob through Google's ``JobServiceAsyncClient``, the
watch loop). The only change to the worker's path is the client's transport: the client the
GcpCredentials block builds (its own credentials and ``client_options``) gets a grpc_asyncio
transport on an insecure channel to that address; the ``api_endpoint`` the worker asked for is
reported. The watch loop ends at once when the fake creates jobs already SUCCEEDED; its poll
interval (a worker setting, not part of the job) is set to 0 so no case waits 5 s. Each such result
also carries ``"run": {"statusCode", "identifier", "apiEndpoint"}`` or ``"run": {"error": ...}``.
"""

import asyncio
import copy
import importlib.util
import json
import logging
import sys

import google.auth
import grpc
from google.auth.credentials import AnonymousCredentials

google.auth.default = lambda *args, **kwargs: (AnonymousCredentials(), "parity-adc-project")

import prefect  # noqa: E402
from prefect.client.schemas.objects import Flow, FlowRun, WorkPool  # noqa: E402
from prefect.client.schemas.responses import DeploymentResponse  # noqa: E402
from prefect.settings import get_current_settings  # noqa: E402
import prefect_gcp.credentials  # noqa: E402
from google.cloud.aiplatform_v1.services.job_service.transports import (  # noqa: E402
    JobServiceGrpcAsyncIOTransport,
)
from prefect_gcp.workers.vertex import (  # noqa: E402
    VertexAIWorker,
    VertexAIWorkerJobConfiguration,
)

ENDPOINTS = []
"""The ``api_endpoint`` of every job service client the worker asked for, in order."""


def point_clients_at(target):
    """Every JobServiceAsyncClient the GcpCredentials block builds talks to ``target`` (insecure)."""
    base = prefect_gcp.credentials.JobServiceAsyncClient

    class LocalJobServiceAsyncClient(base):
        def __init__(self, *, credentials=None, client_options=None, **kwargs):
            ENDPOINTS.append(dict(client_options or {}).get("api_endpoint"))

            def transport(**options):
                return JobServiceGrpcAsyncIOTransport(
                    host=options.get("host", target),
                    channel=grpc.aio.insecure_channel(target),
                    client_info=options.get("client_info"),
                )

            super().__init__(
                credentials=credentials, client_options=client_options, transport=transport, **kwargs
            )

    prefect_gcp.credentials.JobServiceAsyncClient = LocalJobServiceAsyncClient
    prefect_gcp.credentials._get_job_service_async_client_cached.cache_clear()


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


async def resolve(case, default_template):
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
    return configuration, pool, flow_run


def prepared(configuration):
    return {
        "jobSpec": copy.deepcopy(configuration.job_spec),
        "displayName": configuration.job_name,
        # An instance method that reads only the configuration.
        "labels": VertexAIWorker._get_compatible_labels(None, configuration=configuration),
        "project": configuration.project,
        "region": configuration.region,
    }


async def submit(configuration, pool, flow_run):
    """The worker's own run(): builds the CustomJob, creates it, watches it to a final state."""
    configuration = configuration.model_copy(deep=True)
    configuration.job_watch_poll_interval = 0
    prefect_gcp.credentials._get_job_service_async_client_cached.cache_clear()
    worker = VertexAIWorker(work_pool_name=pool.name)
    try:
        result = await worker.run(flow_run, configuration)
    except Exception as exc:  # noqa: BLE001 - the error itself is the result
        return {"error": {"class": type(exc).__name__, "message": str(exc)}}
    return {
        "statusCode": result.status_code,
        "identifier": result.identifier,
        "apiEndpoint": ENDPOINTS[-1] if ENDPOINTS else None,
    }


async def main():
    logging.getLogger("prefect").setLevel(logging.ERROR)
    payload = json.load(sys.stdin)
    default_template = VertexAIWorker.get_default_base_job_template()
    if "cases" not in payload:
        json.dump(default_template, sys.stdout)
        return
    target = payload.get("grpc")
    if target:
        point_clients_at(target)
    results = []
    for case in [decode(c) for c in payload["cases"]]:
        try:
            configuration, pool, flow_run = await resolve(case, default_template)
            result = {"ok": prepared(configuration)}
        except Exception as exc:  # noqa: BLE001 - the error itself is the result
            results.append({"error": {"class": type(exc).__name__, "message": str(exc)}})
            continue
        if target:
            result["run"] = await submit(configuration, pool, flow_run)
        results.append(result)
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
