"""A small flow for pushpool's demo and tests: parameters, logs, a task, and an optional failure."""

import sys
import time

from prefect import flow, get_run_logger, task


@task
def greet(name: str, excited: bool) -> str:
    return f"Hello, {name}{'!' if excited else '.'}"


@flow(log_prints=True)
def hello(
    name: str = "world", excited: bool = True, fail: bool = False, exit_code: int = 0, sleep: float = 0
) -> str:
    logger = get_run_logger()
    message = greet(name, excited)
    if sleep:
        time.sleep(sleep)
    logger.info("pushpool says: %s", message)
    if exit_code:
        # Simulates infrastructure dying under the flow (no final state reported).
        sys.stdout.flush()
        import os

        os._exit(exit_code)
    if fail:
        raise RuntimeError("the flow failed on purpose")
    return message
