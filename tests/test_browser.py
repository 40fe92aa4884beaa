"""The kit in a real browser: chapter 01 in JupyterLab driven by Chromium (the course site: test_site.py).

Needs Debian's Chromium (``.ci/install-chromium``); skips with the reason when it cannot be installed.
Screenshots and logs go to a temporary folder whose path is printed (pytest shows it on failure);
the folder is deleted when every test passed.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from browser_support import REPO, chromium_context, copy_tree, jupyter_lab

CHAPTER = "notebooks/01_spectral_bias.ipynb"
RUN_ALL_TIMEOUT = 480.0  # s, for every cell of the chapter (about 60 s on an idle 2-core CPU)
STALL_TIMEOUT = 30.0  # s, of an idle kernel while cells are still queued: a lost execution
REDRAW_TIMEOUT = 60.0  # s, for one slider change to redraw its plot
KERNEL_IDLE = r"""() => {
  const text = Array.from(document.querySelectorAll('.jp-StatusBar-Widget')).map(e => e.innerText).join(' ');
  return !text.includes('No Kernel') && /\|\s*Idle/.test(text);
}"""


@pytest.fixture(scope="module")
def evidence_folder(request):
    """Screenshots and logs, outside pytest's temporary folders (later runs delete those); kept on failure."""
    folder = Path(tempfile.mkdtemp(prefix="nfteach-browser-"))
    failed_before = request.session.testsfailed
    yield folder
    if request.session.testsfailed == failed_before:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def evidence(evidence_folder) -> Path:
    print(f"browser screenshots and logs: {evidence_folder}")
    return evidence_folder


@pytest.fixture(scope="module")
def browser(tmp_path_factory, evidence_folder):
    """A fresh-profile Chromium context that may only reach 127.0.0.1; yields (context, blocked URLs)."""
    blocked: list[str] = []
    with chromium_context(tmp_path_factory.mktemp("chromium-profile"), blocked) as context:
        context.on("page", lambda page: page.on("console", lambda m: _log(evidence_folder, f"{m.type}: {m.text}")))
        yield context, blocked


def _log(folder: Path, line: str) -> None:
    with open(folder / "console.log", "a") as log:
        log.write(line + "\n")


def _wait(condition, timeout: float, what: str, page, evidence: Path, poll: float = 0.5):
    """Poll ``condition()`` until truthy; on timeout save a screenshot and fail saying what was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            shot = evidence / f"timeout-{re.sub(r'[^a-z0-9]+', '-', what.lower())}.png"
            page.screenshot(path=str(shot))
            pytest.fail(f"waited {timeout:.0f} s for {what}; screenshot {shot}")
        time.sleep(poll)


def _assert_nothing_covers(page, evidence: Path, moment: str) -> None:
    dialogs = page.locator(".jp-Dialog").count()
    toasts = page.locator(".Toastify__toast").all_inner_texts()
    if dialogs or toasts:
        shot = evidence / f"covered-{moment}.png"
        page.screenshot(path=str(shot))
        pytest.fail(f"{moment}: {dialogs} dialog(s) and toasts {toasts} cover the notebook; screenshot {shot}")


def _code_cells(path: Path) -> int:
    return sum(c.cell_type == "code" and c.source.strip() != "" for c in nbformat.read(path, as_version=4).cells)


def _prompts(page) -> list[str]:
    return page.locator(".jp-Notebook .jp-CodeCell .jp-InputPrompt").all_inner_texts()


def _errors(page) -> list[str]:
    """Tracebacks shown in the notebook (JupyterLab renders an error output as stderr text with one)."""
    texts = page.locator(".jp-Notebook .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    return [t for t in texts.all_inner_texts() if "Traceback" in t or re.search(r"^\w*(Error|Exception)\b", t, re.M)]


def _run_all(page, cells: int, evidence: Path) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()

    idle_since = [None]

    def finished():
        prompts = _prompts(page)
        if _errors(page):
            return "error"
        counted = sum(bool(re.fullmatch(r"\[\d+\]:", p.strip())) for p in prompts)
        queued = sum("*" in p for p in prompts)
        idle = page.evaluate(KERNEL_IDLE)
        if counted >= cells and not queued and idle:
            return "done"
        idle_since[0] = (idle_since[0] or time.monotonic()) if idle and queued else None
        if idle_since[0] and time.monotonic() - idle_since[0] > STALL_TIMEOUT:
            return "stalled"
        return None

    outcome = _wait(finished, RUN_ALL_TIMEOUT, "every cell to run", page, evidence, poll=1.0)
    page.screenshot(path=str(evidence / "after-run-all.png"), full_page=True)
    assert outcome != "stalled", f"the kernel has been idle {STALL_TIMEOUT:.0f} s with cells still queued: {_prompts(page)}"
    assert outcome == "done", "a cell failed:\n" + "\n\n".join(_errors(page))


def _plot_src(slider) -> str | None:
    """The PNG (as its data URI or fetched bytes) of the plot in the widget that holds ``slider``."""
    return slider.evaluate(
        """async (slider) => {
          let box = slider.parentElement;
          const selector = '.widget-output img, .jupyter-widgets-output-area img';
          while (box && !box.querySelector(selector)) box = box.parentElement;
          const img = box && box.querySelector(selector);
          if (!img || !img.complete || img.naturalWidth === 0) return null;
          if (img.src.startsWith('data:')) return img.src;
          const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
          return Array.from(bytes, b => String.fromCharCode(b)).join('');
        }"""
    )


def _move_slider(page, description: str, evidence: Path) -> None:
    """Press ArrowRight on the slider named ``description`` and wait until its plot is redrawn."""
    slider = page.locator(".widget-slider").filter(has=page.locator(".widget-label", has_text=re.compile(f"^{description}$")))
    assert slider.count() == 1, f"expected one slider described '{description}', found {slider.count()}"
    slider.scroll_into_view_if_needed()
    before_value = slider.locator(".widget-readout").inner_text()
    before = _wait(lambda: _plot_src(slider), REDRAW_TIMEOUT, f"the plot under {description}", page, evidence)
    page.screenshot(path=str(evidence / f"{description}-before.png"))
    handle = slider.locator(".noUi-handle")
    handle.focus()
    handle.press("ArrowRight")
    _wait(lambda: slider.locator(".widget-readout").inner_text() != before_value, 10, f"{description} to move", page, evidence)

    def redrawn():
        src = _plot_src(slider)
        return src is not None and src != before and page.evaluate(KERNEL_IDLE)

    _wait(redrawn, REDRAW_TIMEOUT, f"the plot to change after moving {description}", page, evidence)
    page.screenshot(path=str(evidence / f"{description}-after.png"))


def _standin_chapter(path: Path) -> None:
    """A tiny notebook with the 01 contract (frequency/depth/width sliders, PNG in an Output)."""
    code = """import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np

def explorer():
    sliders = [widgets.IntSlider(v, lo, hi, description=name, continuous_update=False)
               for name, v, lo, hi in [("frequency", 3, 1, 20), ("depth", 2, 1, 6), ("width", 64, 16, 256)]]
    out = widgets.Output()
    def draw(*_):
        frequency, depth, _ = (s.value for s in sliders)
        with out:
            out.clear_output(wait=True)
            t = np.linspace(0, 1, 200)
            fig, ax = plt.subplots(figsize=(4, 2))
            ax.plot(t, depth * np.sin(2 * np.pi * frequency * t))
            plt.show()
    for s in sliders:
        s.observe(draw, names="value")
    draw()
    return widgets.VBox([*sliders, out])

explorer()"""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Stand-in"), nbformat.v4.new_code_cell(code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def test_chapter_01_runs_in_jupyterlab_and_its_sliders_redraw(browser, tmp_path, evidence):
    context, blocked = browser
    already_blocked = len(blocked)
    work = tmp_path / "kit"
    if (REPO / CHAPTER).exists():
        copy_tree(REPO / "notebooks", work / "notebooks")
    else:
        _standin_chapter(work / CHAPTER)
    started = time.monotonic()
    with jupyter_lab(work, tmp_path / "jupyter", evidence / "jupyterlab.log") as url:
        page = context.new_page()
        try:
            page.goto(f"{url}/lab/tree/{CHAPTER}")
            page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=60_000)
            _wait(lambda: page.evaluate(KERNEL_IDLE), 90, "the kernel to start", page, evidence)
            page.screenshot(path=str(evidence / "opened.png"))
            _assert_nothing_covers(page, evidence, "opened")
            print(f"JupyterLab open, kernel idle after {time.monotonic() - started:.0f} s")
            _run_all(page, _code_cells(work / CHAPTER), evidence)
            print(f"every cell ran after {time.monotonic() - started:.0f} s")
            _assert_nothing_covers(page, evidence, "after-run-all")
            for description in ("frequency", "depth"):
                _move_slider(page, description, evidence)
                print(f"{description} redrew its plot after {time.monotonic() - started:.0f} s")
            assert not _errors(page), "the sliders raised:\n" + "\n\n".join(_errors(page))
        except BaseException:
            page.screenshot(path=str(evidence / "failure.png"))
            raise
        finally:
            page.close()
    print(f"JupyterLab test took {time.monotonic() - started:.0f} s; kept off the network: {blocked[already_blocked:]}")
