"""Plumbing for the browser tests: Debian's Chromium through Playwright, and a throwaway JupyterLab.

Everything runs on 127.0.0.1 in temporary folders: a fresh Chromium profile, and a JupyterLab whose
config, data, runtime, settings and workspaces folders are new, so the user's own setup is never read
or written. Both are always shut down, even when a test fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
LOCAL_HOSTS = {"127.0.0.1"}

# JupyterLab user settings: no news toast, no update check, every cell attached to the page (so that
# every prompt can be read), and the notebook's kernel started without a "Select Kernel" dialog.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
}


def chromium_or_skip() -> Path:
    """Debian's Chromium, installed with ``.ci/install-chromium`` when missing; skip only if that fails."""
    if not CHROMIUM.exists():
        result = subprocess.run(
            ["bash", str(REPO / ".ci" / "install-chromium")], capture_output=True, text=True, timeout=900
        )
        if not CHROMIUM.exists():
            said = (result.stderr or result.stdout).strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
            pytest.skip(f"{CHROMIUM} is missing and .ci/install-chromium could not install it: {said[0]}")
    return CHROMIUM


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"file", "data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS


# WebGL without a GPU (plotly's 3D views): Chromium's software renderer, which it no longer picks by itself.
WEBGL_FLAGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader"]


@contextmanager
def chromium_context(profile_dir: Path, blocked: list[str], allowed=_is_local, extra_flags: list[str] = ()) -> Iterator:
    """A Playwright browser context on a fresh Chromium profile that only talks to 127.0.0.1.

    Requests to any other host (any URL ``allowed(url)`` refuses) are aborted and their URLs appended to
    ``blocked``. ``extra_flags`` go to Chromium after :data:`CHROMIUM_FLAGS`.
    """
    from playwright.sync_api import sync_playwright

    executable = chromium_or_skip()

    def route(request_route) -> None:
        url = request_route.request.url
        if allowed(url):
            request_route.continue_()
        else:
            blocked.append(url)
            request_route.abort()

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile_dir),
            executable_path=str(executable),
            headless=True,
            args=[*CHROMIUM_FLAGS, *extra_flags],
            viewport={"width": 1400, "height": 1000},
        )
        try:
            context.route("**/*", route)
            yield context
        finally:
            context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, timeout: float = 5.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read()


def _write_lab_settings(settings_dir: Path) -> None:
    for plugin, values in LAB_SETTINGS.items():
        path = settings_dir / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextmanager
def jupyter_lab(root: Path, home: Path, log_path: Path, startup_timeout: float = 120.0) -> Iterator[str]:
    """Run JupyterLab on 127.0.0.1 (free port, no token) serving ``root``; yield its base URL.

    ``home`` receives the throwaway Jupyter folders. The kernel is this Python's ipykernel (the
    ``python3`` kernelspec resolves ``python`` to ``sys.executable``). On exit every kernel is deleted,
    the server is asked to stop, and it is terminated if it does not.
    """
    folders = {name: home / name for name in ("config", "data", "runtime", "settings", "workspaces")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    _write_lab_settings(folders["settings"])
    # No websocket pings: on a loaded CPU a late pong closes the kernel's websocket and loses replies.
    server_config = {"ServerApp": {"tornado_settings": {"ws_ping_interval": 0}}}
    (folders["config"] / "jupyter_server_config.json").write_text(json.dumps(server_config))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(folders["config"]),
        "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(folders["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(folders["workspaces"]),
        "NFTEACH_PROGRESS": "0",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--IdentityProvider.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    with open(log_path, "w") as log:
        server = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with {server.returncode}; see {log_path}")
            try:
                _get(f"{url}/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not answer on {url} in {startup_timeout:.0f} s; see {log_path}")
                time.sleep(0.5)
        yield url
    finally:
        _stop_server(server, url)


def _stop_server(server: subprocess.Popen, url: str) -> None:
    """Delete the kernels, ask the server to shut down, and terminate it if it lingers."""
    if server.poll() is None:
        try:
            for kernel in json.loads(_get(f"{url}/api/kernels")):
                request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", method="DELETE")
                urllib.request.urlopen(request, timeout=10).close()
            urllib.request.urlopen(urllib.request.Request(f"{url}/api/shutdown", method="POST"), timeout=10).close()
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def copy_tree(source: Path, destination: Path) -> Path:
    """A working copy of ``source`` (notebooks only, no checkpoints) so the test never edits the repository."""
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return destination
