# Two commands for a newcomer: `make lab` (set up, open the kit) and `make test` (set up, run every test).
# Both create .venv with nothing but Python >= 3.10 on the machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# The versions the kit was tested with (refresh: `make lock`); pyproject.toml keeps ranges.
LOCK := requirements/lock.txt
# A Python that already has torch (a conda environment): .venv sees its packages, so that torch is kept.
VENV_FLAGS = $(shell $(PYTHON) -c "import importlib.util as u; print('--system-site-packages' if u.find_spec('torch') else '')")
# Students work in copies in this git-ignored folder, so saving a notebook never changes a tracked file.
WORKSPACE := workspace
# JupyterLab refuses to run as root without --allow-root (containers, Colab-like VMs).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: setup lab test html browser sandbox lock newest clean

setup: $(INSTALLED)

# torch first (requirements/install_torch.py: kept if present; else the CPU build on Linux without a GPU, from
# PyTorch's CPU index or a CPU wheel on disk, never the CUDA build; PyPI's on macOS), then the kit from the lock.
$(INSTALLED): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV_FLAGS) $(VENV)
	$(PY) requirements/install_torch.py
	$(PY) -m pip install -c $(LOCK) -e ".[lab,course,test,site]"
	touch $(INSTALLED)

# Serve the repository root (notebooks/, exercises/ and solutions/ all open) and start on the welcome notebook;
# no news pop-up and no update check (the announcements plugin is switched off in .venv only).
LAB_OPTIONS := --ServerApp.root_dir=$(WORKSPACE) --LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb \
	--LabApp.news_url=None --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate

lab: setup
	$(VENV)/bin/nfteach workspace --into $(WORKSPACE)
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

# The course site in site/ (open site/index.html): every notebook as a book page with its outputs, built by
# Sphinx + myst-nb offline; execution is cached in build/book, so a rebuild re-runs only the notebooks that changed.
# `make html HUB=https://your.hub` adds a JupyterHub launch button to each page.
HUB ?=
html: setup
	$(VENV)/bin/nfteach html --out site $(if $(HUB),--hub $(HUB))

# Refresh the lock with the newest versions pyproject.toml allows; then `make test` before committing it.
lock: setup
	$(PY) requirements/refresh_lock.py

# The cheap drift check: unit tests only (no notebooks, no browser), against the newest versions, in a
# throwaway environment (`.ci/newest`); run it before `make lock`, and now and then.
newest:
	bash .ci/newest

clean:
	rm -rf $(VENV) .pytest_cache
