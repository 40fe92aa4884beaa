# Two commands for a newcomer: `make lab` (set up, open the kit) and `make test` (set up, run every test).
# Both create .venv with nothing but Python >= 3.10 on the machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# JupyterLab refuses to run as root without --allow-root (containers, Colab-like VMs).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: setup lab test html browser sandbox clean

setup: $(INSTALLED)

# torch first: with no torch present, `torch==2.13.0` is the CPU build; an unpinned torch pulls CUDA wheels.
$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[lab,test]"
	touch $(INSTALLED)

lab: setup
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) notebooks/00_welcome.ipynb

# The browser tests need Debian's Chromium; elsewhere they skip and say why.
browser:
	@command -v chromium >/dev/null 2>&1 || bash .ci/install-chromium || echo "Chromium could not be installed: the browser tests will skip."

# `nfteach grade` sandboxes each submission with bubblewrap; without it the grading tests skip and say why.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || bash .ci/install-bubblewrap || echo "bubblewrap could not be installed: the sandboxed grading tests will skip."

test: setup browser sandbox
	$(PY) -m pytest

# Every chapter executed and rendered to a static page with its outputs, in site/ (open site/index.html).
html: setup
	$(VENV)/bin/nfteach html --out site

clean:
	rm -rf $(VENV) .pytest_cache
