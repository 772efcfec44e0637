"""Deploys examples/flows/hello.py to a work pool with `flow.deploy()`, exactly as Prefect's guide
does — pushpool then runs it in place of a worker.

    PREFECT_API_URL=http://127.0.0.1:4200/api python examples/flows/deploy.py my-pool [interval-seconds]
"""

import sys
from pathlib import Path

from prefect import flow

pool = sys.argv[1] if len(sys.argv) > 1 else "pushpool-demo"
interval = int(sys.argv[2]) if len(sys.argv) > 2 else None

deployment = flow.from_source(source=str(Path(__file__).parent.resolve()), entrypoint="hello.py:hello")
deployment_id = deployment.deploy(
    name="demo",
    work_pool_name=pool,
    interval=interval,
    parameters={"name": "pushpool"},
    print_next_steps=False,
)
print(deployment_id)
