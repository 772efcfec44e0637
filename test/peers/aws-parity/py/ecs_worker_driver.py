"""Runs Prefect's own ECS worker (PyPI ``prefect-aws``, pinned in .venv) on parity cases against moto.

Reads ``{"cases": [...]}`` on stdin; each case carries the work pool, deployment, flow and flow run
JSON that pushpool's side uses too. For each case it builds the job configuration exactly as the
worker does (``ECSJobConfiguration.resolve_for_flow_run``: merge job variables,
``from_template_and_values``, ``prepare_for_flow_run``) and submits it with the worker's real
``ECSWorker.run`` (task definition, RunTask request, networking) against the moto endpoint in
``AWS_ENDPOINT_URL``. Every request the worker's boto3 clients send (ECS and EC2) is recorded with a
``before-parameter-build`` event hook, so the comparison is on the exact request dicts.

A case whose pool has ``base_job_template: null`` gets the worker's own default template
(``ECSWorker.get_default_base_job_template()``) with the container ``memoryReservation`` from the
input (moto's RunTask answers 500 for a container without memory); ``meta.workerTemplate`` is that
template, so pushpool's side renders the very same one.

Given only ``{"memoryReservation": n}``, it prints that template and nothing else.

Prints ``{"meta": {...}, "results": [...]}``; each result is ``{"ok": {"calls", "identifier"}}``
or ``{"error": {"class", "message", "calls"}}``. The worker is never entered as a context manager
(that would start the SQS observer and talk to a Prefect server): nothing here needs the API.
"""

import asyncio
import copy
import json
import logging
import sys

import prefect
from prefect.client.schemas.objects import Flow, FlowRun, WorkPool
from prefect.client.schemas.responses import DeploymentResponse
from prefect.settings import get_current_settings
from prefect.utilities.dockerutils import get_prefect_image_name
from prefect_aws.credentials import AwsCredentials
from prefect_aws.workers.ecs_worker import ECSJobConfiguration, ECSWorker

CALLS: list = []


def record(params, model, **_kwargs):
    service = model.service_model.service_name
    CALLS.append({"service": service, "op": model.name, "params": copy.deepcopy(params)})


_original_get_client = AwsCredentials.get_client


def recording_get_client(self, client_type):
    client = _original_get_client(self, client_type)
    # Clients are cached per credentials block; unique_id keeps one hook per client.
    client.meta.events.register(
        "before-parameter-build", record, unique_id=f"pushpool-parity-{id(client)}"
    )
    return client


AwsCredentials.get_client = recording_get_client


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


def worker_template(memory_reservation):
    template = ECSWorker.get_default_base_job_template()
    template["job_configuration"]["task_definition"]["containerDefinitions"][0][
        "memoryReservation"
    ] = memory_reservation
    return template


async def run_case(case, default_template):
    pool_json = dict(case["pool"])
    if pool_json.get("base_job_template") is None:
        pool_json["base_job_template"] = copy.deepcopy(default_template)
    pool = WorkPool.model_validate(pool_json)
    flow_run = FlowRun.model_validate(case["flowRun"])
    deployment = case.get("deployment")
    configuration = await ECSJobConfiguration.resolve_for_flow_run(
        flow_run,
        client=FakeClient(case["flow"]),
        work_pool=pool,
        worker_name=case["workerName"],
        worker_id=case.get("workerId"),
        deployment=DeploymentResponse.model_validate(deployment) if deployment else None,
    )
    worker = ECSWorker(work_pool_name=pool.name, name=case["workerName"])
    worker._work_pool = pool
    result = await worker.run(flow_run, configuration)
    return {"identifier": result.identifier}


async def main():
    logging.getLogger("prefect").setLevel(logging.ERROR)
    payload = json.load(sys.stdin)
    if "cases" not in payload:
        # Only the worker's default template (customised cases start from it).
        json.dump(worker_template(payload["memoryReservation"]), sys.stdout)
        return
    cases = [decode(case) for case in payload["cases"]]
    default_template = worker_template(payload["memoryReservation"])
    results = []
    for case in cases:
        CALLS.clear()
        try:
            out = await run_case(case, default_template)
            results.append({"ok": {**out, "calls": list(CALLS)}})
        except Exception as exc:  # noqa: BLE001 - the error itself is the result
            results.append(
                {"error": {"class": type(exc).__name__, "message": str(exc), "calls": list(CALLS)}}
            )
    meta = {
        "baseEnv": get_current_settings().to_environment_variables(exclude_unset=True),
        "version": prefect.__version__,
        "python": sys.executable,
        "defaultImage": get_prefect_image_name(),
        "workerTemplate": default_template,
    }
    json.dump({"meta": meta, "results": results}, sys.stdout, default=str)


if __name__ == "__main__":
    asyncio.run(main())
