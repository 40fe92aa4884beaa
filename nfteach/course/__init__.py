"""The instructor's side of nfteach: inline checks, grading, exercise generation, Colab headers, the course site,
lecture mode and the ``nfteach`` command. It may import the science modules; they never import it."""
