"""One room per chapter: the small runs behind each chapter's sliders and their static twins.

A chapter imports its explorers from its own room, e.g. ``from nfteach.explore import spectral_bias as room``.
Rooms build on :mod:`nfteach.widgets` (the slider machinery), :mod:`nfteach.viz` and :mod:`nfteach.train`.
"""
