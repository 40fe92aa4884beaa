"""Probe the public API with bad input: run every case of tests/test_api_validation.py's table, each in a child
process with a time limit and a memory limit, and count per module how each ended (issue 23's classes):

- clear refusal       an error whose message starts with the function's name (the kit's form: "fit: lr must ...")
- handled correctly   a case that should return did, and its check holds
- unclear error       an error from deep inside (torch, numpy, scikit-image, trimesh) that does not name the function
- silently wrong      a result where a refusal was due, or a result whose check fails
- hang or memory      ran past the time limit, or reached the allocator past the memory limit, or was killed
                      (the kit's own memory check raised from an inner function counts as an unclear error)

    PYTHONPATH=$PWD python bench/api_probe.py                  # the table, per module, and every case that fell short
    PYTHONPATH=$PWD python bench/api_probe.py --module metrics --timeout 30

Target (issue 23): at least 95 % clear or correct, none silently wrong, none hanging.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import pickle
import resource
import select
import signal
import sys
import time
from collections import Counter
from pathlib import Path

CLASSES = ("clear refusal", "handled correctly", "unclear error", "silently wrong", "hang or memory")
TABLE = Path(__file__).resolve().parent.parent / "tests" / "test_api_validation.py"


def load_cases():
    spec = importlib.util.spec_from_file_location("api_validation_table", TABLE)
    table = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(table)
    return table.CASES


def classify(case) -> tuple[str, str]:
    """Run one case here (in the child) → (class, what happened)."""
    try:
        result = case.call()
    except Exception as error:  # every kind of failure is what the probe measures
        message = str(error).strip()
        if message.startswith(f"{case.function}:") or message.startswith(f"{case.function} "):
            return "clear refusal", f"{type(error).__name__}: {message[:160]}"
        if "allocate" in message.lower():  # torch's or numpy's allocator: the size reached it
            return "hang or memory", f"{type(error).__name__}: {message[:160]}"
        return "unclear error", f"{type(error).__name__}: {message[:160]}"
    if case.error is not None:
        return "silently wrong", f"returned {type(result).__name__} instead of refusing"
    try:
        ok = bool(case.expected(result))
    except Exception as error:
        ok, why = False, f"its check raised {type(error).__name__}: {error}"
    else:
        why = "its check failed"
    return ("handled correctly", "as checked") if ok else ("silently wrong", why)


def run_isolated(case, timeout: float, memory_bytes: int) -> tuple[str, str]:
    """Fork, run the case under an address-space limit, and wait at most ``timeout`` seconds for its verdict."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        try:
            verdict = classify(case)
        except BaseException as error:  # noqa: BLE001 (a SystemExit or KeyboardInterrupt is a verdict too)
            verdict = ("unclear error", f"{type(error).__name__}: {error}")
        os.write(write_end, pickle.dumps(verdict))
        os._exit(0)
    os.close(write_end)
    ready, _, _ = select.select([read_end], [], [], timeout)
    if not ready:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read_end)
        return "hang or memory", f"still running after {timeout:g} s"
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        return "hang or memory", f"the child died (status {status})"
    return pickle.loads(b"".join(chunks))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--module", help="only the cases of this module (as the table names it)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds a case may run (default 60)")
    parser.add_argument("--memory-gb", type=float, default=6.0, help="address space a case may use (default 6 GB)")
    arguments = parser.parse_args()

    import torch

    torch.set_num_threads(1)
    cases = [case for case in load_cases() if arguments.module in (None, case.module)]
    counts: dict[str, Counter] = {}
    short: list[str] = []
    start = time.perf_counter()
    for case in cases:
        verdict, detail = run_isolated(case, arguments.timeout, int(arguments.memory_gb * 2**30))
        counts.setdefault(case.module, Counter())[verdict] += 1
        if verdict not in ("clear refusal", "handled correctly"):
            short.append(f"  [{verdict}] {case.module} / {case.function}: {case.what} → {detail}")

    width = max(len(name) for name in counts) + 2
    print(f"{'module':<{width}}" + "".join(f"{name:>19}" for name in CLASSES) + f"{'cases':>8}{'clear or correct':>18}")
    total = Counter()
    for name, count in counts.items():
        total.update(count)
        print(_row(name, count, width))
    print(_row("all", total, width))
    print(f"\n{len(cases)} cases in {time.perf_counter() - start:.0f} s")
    if short:
        print("\ncases that fell short:\n" + "\n".join(short))


def _row(name: str, count: Counter, width: int) -> str:
    cases = sum(count.values())
    good = count["clear refusal"] + count["handled correctly"]
    return (f"{name:<{width}}" + "".join(f"{count[c]:>19}" for c in CLASSES) + f"{cases:>8}"
            f"{100 * good / cases:>17.1f}%")


if __name__ == "__main__":
    sys.exit(main())
