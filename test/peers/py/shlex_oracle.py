"""Test oracle for pushpool's command splitter: runs Python's own ``shlex.split`` on JSON cases.

Reads ``{"cases": [str, ...]}`` on stdin and prints ``{"meta": {...}, "results": [...]}`` on stdout,
one result per case: ``{"ok": [word, ...]}`` or ``{"error": {"class": name, "message": str(exc)}}``.
``shlex.split(s)`` is called with its defaults (POSIX mode, comments off), as Prefect's workers do.
Output is ASCII JSON, so lone surrogates travel as ``\\udXXX`` escapes.
"""

import json
import shlex
import sys


def run(case):
    try:
        return {"ok": shlex.split(case)}
    except Exception as exc:  # noqa: BLE001 - every failure is a result to compare
        return {"error": {"class": type(exc).__name__, "message": str(exc)}}


def main():
    cases = json.loads(sys.stdin.buffer.read().decode("utf-8"))["cases"]
    meta = {"python": sys.version.split()[0], "shlex": shlex.__file__}
    json.dump({"meta": meta, "results": [run(c) for c in cases]}, sys.stdout, ensure_ascii=True)


if __name__ == "__main__":
    main()
