"""Test oracle for pushpool's templating: runs Prefect's own functions on JSON cases.

Reads ``{"cases": [...]}`` on stdin and prints ``{"meta": {...}, "results": [...]}`` on stdout.
Values use a tagged JSON encoding so Python floats survive the trip: ``{"$pyfloat": "1.0"}`` is a
float, ``{"$int": "9007199254740993"}`` an int beyond 2^53 (JavaScript's JSON.parse would round
it), ``{"$dict": [[key, value], ...]}`` a dict with an integer-like key (JavaScript would list
such keys first), ``{"$notset": true}`` is Prefect's NotSet and ``{"$tuple": [...]}`` a tuple.
Every result is
either ``{"ok": value, ...}`` or ``{"error": {"class": name, "message": str(exc)}}``.

Block documents, variables and flows are served by a small in-memory fake of PrefectClient, which
counts its reads. This file is test code; it calls Prefect's implementation, it does not copy it.
"""

import asyncio
import json
import os
import sys
import uuid
from pathlib import PurePath
from types import SimpleNamespace

import prefect
from prefect.client.schemas.objects import Flow, FlowRun, WorkPool
from prefect.client.schemas.responses import DeploymentResponse
from prefect.exceptions import ObjectNotFound
from prefect.settings import get_current_settings
from prefect.utilities.annotations import NotSet
from prefect.utilities.templating import (
    apply_values,
    find_placeholders,
    resolve_block_document_references,
    resolve_variables,
)
from prefect.workers.base import BaseJobConfiguration
from prefect.workers.process import ProcessJobConfiguration
from pydantic import ConfigDict


class ExtraAllowedJobConfiguration(BaseJobConfiguration):
    """BaseJobConfiguration that keeps type-specific keys (ECS, Cloud Run, ... without their packages)."""

    model_config = ConfigDict(extra="allow")


SAFE_INT = 2**53 - 1


def int_like(key):
    """A key JavaScript would enumerate before the others (a canonical non-negative integer)."""
    return key.isascii() and key.isdigit() and (key == "0" or not key.startswith("0"))


def decode(v):
    if isinstance(v, dict):
        if set(v) == {"$pyfloat"}:
            return float(v["$pyfloat"])
        if set(v) == {"$int"}:
            return int(v["$int"])
        if set(v) == {"$dict"}:
            return {k: decode(x) for k, x in v["$dict"]}
        if set(v) == {"$notset"}:
            return NotSet
        if set(v) == {"$tuple"}:
            return tuple(decode(x) for x in v["$tuple"])
        return {k: decode(x) for k, x in v.items()}
    if isinstance(v, list):
        return [decode(x) for x in v]
    return v


def encode(v):
    if v is NotSet:
        return {"$notset": True}
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > SAFE_INT:
        return {"$int": str(v)}
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return {"$pyfloat": repr(v)}
    if isinstance(v, dict):
        if any(int_like(str(k)) for k in v):
            return {"$dict": [[str(k), encode(x)] for k, x in v.items()]}
        return {str(k): encode(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [encode(x) for x in v]
    if isinstance(v, (PurePath, uuid.UUID)):
        return str(v)
    return {"$repr": repr(v)}


class FakeClient:
    """The PrefectClient methods templating and resolve_for_flow_run call, over in-memory data."""

    def __init__(self, case):
        self.blocks_by_id = case.get("blocksById", {})
        self.blocks_by_name = {(s, n): d for s, n, d in case.get("blocksByName", [])}
        self.variables = case.get("variables", {})
        self.flow = case.get("flow")
        self.reads = 0

    async def read_block_document(self, block_document_id, include_secrets=True):
        self.reads += 1
        data = self.blocks_by_id.get(str(block_document_id))
        if data is None:
            raise ObjectNotFound(http_exc=Exception("404"))
        return SimpleNamespace(data=decode(data))

    async def read_block_document_by_name(self, name, block_type_slug, include_secrets=True):
        self.reads += 1
        data = self.blocks_by_name.get((block_type_slug, name))
        if data is None:
            raise ObjectNotFound(http_exc=Exception("404"))
        return SimpleNamespace(data=decode(data))

    async def read_variable_by_name(self, name):
        self.reads += 1
        if name not in self.variables:
            return None
        return SimpleNamespace(value=decode(self.variables[name]))

    async def read_flow(self, flow_id):
        return Flow.model_validate(self.flow)


def with_env(env):
    """Swap os.environ for the case's environment (what {{ $NAME }} and process pools read)."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env or {})
    return saved


async def run_case(case):
    op = case["op"]
    client = FakeClient(case)
    if op == "find":
        found = find_placeholders(decode(case["template"]))
        return sorted([p.full_match, p.name, p.type.name] for p in found)
    if op == "apply":
        return apply_values(
            decode(case["template"]),
            decode(case["values"]),
            remove_notset=case.get("removeNotset", True),
            skip_prefixes=case.get("skipPrefixes"),
        )
    if op == "blocks":
        out = await resolve_block_document_references(decode(case["template"]), client=client)
        return {"value": out, "reads": client.reads}
    if op == "variables":
        out = await resolve_variables(decode(case["template"]), client=client)
        return {"value": out, "reads": client.reads}
    if op == "fromTemplate":
        cls = ProcessJobConfiguration if case.get("type") == "process" else ExtraAllowedJobConfiguration
        config = await cls.from_template_and_values(
            decode(case["baseJobTemplate"]), decode(case["values"]), client=client
        )
        return config.model_dump()
    if op == "render":
        cls = ProcessJobConfiguration if case["pool"]["type"] == "process" else ExtraAllowedJobConfiguration
        deployment = case.get("deployment")
        config = await cls.resolve_for_flow_run(
            FlowRun.model_validate(decode(case["flowRun"])),
            client=client,
            work_pool=WorkPool.model_validate(decode(case["pool"])),
            worker_name=case["workerName"],
            worker_id=case.get("workerId"),
            deployment=DeploymentResponse.model_validate(decode(deployment)) if deployment else None,
        )
        return config.model_dump()
    raise ValueError(f"unknown op {op!r}")


async def main():
    cases = json.load(sys.stdin)["cases"]
    results = []
    for case in cases:
        saved = with_env(case.get("env"))
        try:
            results.append({"ok": encode(await run_case(case))})
        except Exception as exc:  # noqa: BLE001 - the error itself is the result
            results.append({"error": {"class": type(exc).__name__, "message": str(exc)}})
        finally:
            os.environ.clear()
            os.environ.update(saved)
    meta = {
        "baseEnv": get_current_settings().to_environment_variables(exclude_unset=True),
        "version": prefect.__version__,
        "python": sys.executable,
    }
    json.dump({"meta": meta, "results": results}, sys.stdout)


if __name__ == "__main__":
    asyncio.run(main())
