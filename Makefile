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

# Serve the repository root (notebooks/, exercises/ and solutions/ all open) and start on the welcome notebook;
# no news pop-up and no update check (the announcements plugin is switched off in .venv only).
LAB_OPTIONS := --ServerApp.root_dir=. --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb \
	--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

lab: setup
	@$(VENV)/bin/jupyter labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1 || true
	$(VENV)/bin/jupyter lab $(ALLOW_ROOT) $(LAB_OPTIONS)

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
