import math

import pytest
import torch

import nfteach
from nfteach import data
from nfteach.models import MLP, Siren
from nfteach.train import LiveView, TrainingDiverged, fit, predict


def small_problem():
    coords = data.grid(16, 16)
    target = data.image("camera", size=16).reshape(-1, 1)
    return coords, target


def test_fit_reduces_the_loss_and_logs_history():
    torch.manual_seed(0)
    coords, target = small_problem()
    model = Siren(2, 32, 1, 1)
    history = fit(model, coords, target, steps=200, lr=1e-3, progress=False, log_every=20)
    assert history.step == list(range(20, 201, 20))
    assert history.loss[-1] < history.loss[0] / 5
    assert history.psnr[-1] == pytest.approx(-10 * math.log10(history.loss[-1]))
    assert all(b >= a for a, b in zip(history.seconds, history.seconds[1:]))
    assert history.final_psnr == history.psnr[-1]
    assert history.seconds_to_psnr(history.psnr[-1]) <= history.seconds[-1]
    assert history.seconds_to_psnr(1e9) == math.inf


def test_fit_with_minibatches_and_callback():
    coords, target = small_problem()
    seen = []
    history = fit(MLP(2, 16, 1, 1), coords, target, steps=30, lr=1e-3, batch_size=64, progress=False,
                  log_every=10, on_log=lambda step, model: seen.append(step))
    assert seen == history.step == [10, 20, 30]


def test_fit_uses_data_range_for_psnr():
    coords, target = small_problem()
    history = fit(MLP(2, 8, 0, 1), coords, target * 2 - 1, steps=5, lr=1e-3, progress=False, data_range=2.0)
    assert history.psnr[-1] == pytest.approx(10 * math.log10(4 / history.loss[-1]))


def test_fit_stops_a_diverging_run_with_advice():
    coords, target = small_problem()
    with pytest.raises(TrainingDiverged, match=r"lower learning rate, e.g. lr=1e\+09"):
        fit(MLP(2, 16, 1, 1), coords, target * 1e30, steps=50, lr=1e10, progress=False)


def test_fit_validates_its_inputs():
    coords, target = small_problem()
    model = MLP(2, 8, 0, 1)
    with pytest.raises(ValueError, match="same number of samples, got 256 and 10"):
        fit(model, coords, target[:10], steps=1, lr=1e-3)
    with pytest.raises(ValueError, match=r"target must be a 2D tensor \[N, features\], got \[256\]"):
        fit(model, coords, target[:, 0], steps=1, lr=1e-3)
    with pytest.raises(ValueError, match="steps"):
        fit(model, coords, target, steps=0, lr=1e-3)
    with pytest.raises(ValueError, match="lr"):
        fit(model, coords, target, steps=1, lr=-1)


def test_predict_matches_the_model_in_chunks():
    model = Siren(2, 16, 1, 1)
    coords = data.grid(10, 10)
    out = predict(model, coords, batch_size=7)
    assert out.shape == (100, 1) and out.device.type == "cpu" and not out.requires_grad
    assert torch.allclose(out, model(coords).detach(), atol=1e-6)


def test_setup_seeds_and_returns_a_device():
    device = nfteach.setup(seed=5)
    a = torch.rand(3)
    nfteach.setup(seed=5)
    assert torch.equal(a, torch.rand(3))
    assert isinstance(device, torch.device)


def test_setup_decides_cpu_threads_in_one_place():
    before = torch.get_num_threads()
    try:
        on_cpu = nfteach.setup(cpu_threads=3).type == "cpu"
        assert torch.get_num_threads() == (3 if on_cpu else before)
        nfteach.setup()  # None: the kit's own choice, the same for every notebook
        assert torch.get_num_threads() == (nfteach.default_cpu_threads() if on_cpu else before)
    finally:
        torch.set_num_threads(before)
    with pytest.raises(ValueError, match="setup: cpu_threads must be a positive integer, got 0"):
        nfteach.setup(cpu_threads=0)


def test_default_cpu_threads_is_one_on_small_or_busy_machines():
    assert nfteach.default_cpu_threads(cores=2, load=0.0) == 1
    assert nfteach.default_cpu_threads(cores=4, load=0.0) == 1
    assert nfteach.default_cpu_threads(cores=16, load=14.5) == 1
    assert nfteach.default_cpu_threads(cores=16, load=13.0) == 3
    assert nfteach.default_cpu_threads(cores=64, load=0.0) == 4


def test_live_view_outside_a_notebook_draws_nothing_and_changes_nothing():
    torch.manual_seed(0)
    coords, target = small_problem()
    view = LiveView(preview=lambda model: predict(model, coords).reshape(16, 16, 1))
    history = fit(Siren(2, 16, 1, 1), coords, target, steps=20, lr=1e-3, progress=False, live=view)
    assert history.step[-1] == 20 and not view.in_notebook and view._handle is None
    with pytest.raises(ValueError, match="every_seconds"):
        LiveView(every_seconds=0)


def test_nfteach_seed_overrides_setup_and_feeds_default_draws(monkeypatch):
    import nfteach
    from nfteach import seeding
    from nfteach.data import sinusoids

    monkeypatch.setenv("NFTEACH_SEED", "3")
    nfteach.setup(seed=0)
    assert nfteach.session_seed() == 3
    _, under_3 = sinusoids([1, 2], n=16)
    assert torch.equal(under_3, sinusoids([1, 2], n=16, seed=3)[1])
    monkeypatch.delenv("NFTEACH_SEED")
    nfteach.setup(seed=0)
    assert seeding.session_seed() == 0
    assert not torch.equal(under_3, sinusoids([1, 2], n=16)[1])
    monkeypatch.setenv("NFTEACH_SEED", "one")
    with pytest.raises(ValueError, match="NFTEACH_SEED must be a non-negative integer"):
        nfteach.setup()
