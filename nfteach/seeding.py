"""One seed for a whole notebook: :func:`nfteach.setup` sets it, and every draw the kit makes by default derives
from it, so a chapter reruns under another draw with ``NFTEACH_SEED=3`` and no edit.

The environment variable ``NFTEACH_SEED`` overrides the ``seed`` a notebook passes to ``setup``; this is how
``bench/claims.py`` checks that each chapter's claims hold for seeds 0–4, not only for the one it was written with.
A function's ``seed=None`` means "the session seed"; an explicit ``seed`` is used as given.
"""

from __future__ import annotations

import numbers
import os
import sys

import torch

ENVIRONMENT_VARIABLE = "NFTEACH_SEED"
_session_seed = 0


def seed_from_environment(seed: int) -> int:
    """``NFTEACH_SEED`` when it is set (a non-negative integer), else ``seed``."""
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return seed
    if not text.isdigit():
        raise ValueError(f"{ENVIRONMENT_VARIABLE} must be a non-negative integer, got {text!r}: "
                         f"unset it or set e.g. {ENVIRONMENT_VARIABLE}=1")
    return int(text)


def set_session_seed(seed: int) -> None:
    """Make ``seed`` the one every default draw derives from (``setup`` calls this)."""
    global _session_seed
    _session_seed = seed


def session_seed() -> int:
    """The session's seed: what ``setup`` chose (0 before it is called)."""
    return _session_seed


def resolve(seed: int | None) -> int:
    """``seed`` as given, or the session seed when it is None; a ValueError naming the calling function for
    anything else than None or an integer in [0, 2**63)."""
    if seed is None:
        return _session_seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**63:
        raise ValueError(f"{_caller()}: seed must be None (the session seed) or an integer in [0, 2**63), "
                         f"got {seed!r}")
    return int(seed)


def _caller() -> str:
    """The name of the first function outside this module on the stack (read only when an error is raised)."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    if frame is None:
        return "seed"
    code = frame.f_code
    return getattr(code, "co_qualname", code.co_name).removesuffix(".__init__")  # co_qualname: Python ≥ 3.11


def generator(seed: int | None = None) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded with :func:`resolve` (``seed``)."""
    return torch.Generator().manual_seed(resolve(seed))
