"""Inline feedback for the exercises: ``check.<task>(your_function)`` prints one ✓ line or one hint.

A notebook does ``from nfteach.course import check`` and calls e.g. ``check.positional_encoding(my_function)``.
Each chapter's checks live in their own module here (``spectral_bias``, ``fourier``, ``siren``, …) and are
re-exported below; :mod:`.core` holds what they share. Each check compares the student's function numerically
with the kit's own implementation and never prints the reference code.
"""

from nfteach.course.check.core import Hint, TaskNotDone, Verdict, needs, take_verdict
from nfteach.course.check.spectral_bias import *  # noqa: F401,F403  chapter 1
from nfteach.course.check.fourier import *  # noqa: F401,F403  chapter 2
from nfteach.course.check.siren import *  # noqa: F401,F403  chapter 3
from nfteach.course.check.shapes import *  # noqa: F401,F403  chapter 4
from nfteach.course.check.neural_sdf import *  # noqa: F401,F403  chapter 5
from nfteach.course.check.mrnet import *  # noqa: F401,F403  chapter 6
from nfteach.course.check.onet import *  # noqa: F401,F403  appendix A4
from nfteach.course.check.hybrid_grids import *  # noqa: F401,F403  appendix A6
from nfteach.course.check.summary import summary  # noqa: F401  the last cell of every exercise
from nfteach.course.check.siren_beyond import *  # noqa: F401,F403  appendix A5
