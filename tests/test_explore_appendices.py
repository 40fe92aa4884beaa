import torch

from nfteach import shapes
from nfteach.encodings import HashGrid
from nfteach.explore import activations, hash_grid, nerf
from nfteach.models import Gaussian
from nfteach.nerf import RadianceField, Rays


def test_level_table_counts_vertices_rows_and_storage():
    rows = hash_grid.level_table(HashGrid(2, levels=3, log2_table_size=8, base_resolution=4, max_resolution=16))
    assert rows["level 0"] == {"N_l": 4, "vertices": 25, "rows": 25, "vertices/row": 1.0, "hashed": 0}
    assert rows["level 2"]["hashed"] == 1 and rows["level 2"]["rows"] == 256 and rows["level 2"]["vertices"] == 289


def test_hash_grid_run_fits_a_small_image():
    img = torch.linspace(0, 1, 16 * 16).reshape(16, 16, 1)
    reconstruction, value, parameters = hash_grid.hash_grid_run(img, log2_table_size=8, levels=2, steps=30)
    assert reconstruction.shape == img.shape and value > 20 and parameters > 0


def test_derivatives_of_relu_and_gaussian():
    x = torch.tensor([-0.5, 0.3])
    _, first, second = activations.derivatives(torch.nn.ReLU(), x)
    assert first.tolist() == [0.0, 1.0] and second.abs().max() == 0
    value, first, second = activations.derivatives(Gaussian(1.0), x)
    assert torch.allclose(first, -x * value) and torch.allclose(second, (x**2 - 1) * value)


def test_cppn_image_renders_at_any_resolution():
    for resolution in (8, 33):
        image = activations.cppn_image(z=0.5, depth=2, mix="sin", resolution=resolution)
        assert image.shape == (resolution, resolution, 3) and 0 <= image.min() and image.max() <= 1


def test_sphere_traced_view_and_evaluation():
    view = nerf.sphere_traced_view(shapes.sphere(0.5), angle=30.0, resolution=8)
    assert view.rgb.shape == (64, 3) and view.hit.any() and not view.hit.all()
    distance = view.origins[0].norm()  # the sphere's front is at distance − 0.5, its centre at distance
    assert ((view.depth[view.hit] >= distance - 0.5 - 1e-3) & (view.depth[view.hit] <= distance)).all()
    rays, colours = nerf.training_rays([view, view])
    assert rays.shape == (128, 6) and colours.shape == (128, 3)
    score, depth_error = nerf.evaluate(RadianceField(2, 16, 1), [view], Rays(1.0, 4.0, 8))
    assert score > 0 and depth_error > 0


def test_hybrid_grids_get_equal_memory_and_the_sweep_draws():
    import ipywidgets
    import matplotlib.pyplot as plt

    from nfteach.encodings import DenseGrid, TriPlane
    from nfteach.explore import hybrid_grids

    budget = HashGrid.parameter_count(3, 16, 2, 12, 16, 64)
    for name, encoding in hybrid_grids.sdf_encodings(12, 64).items():
        assert hybrid_grids.parameters(encoding) <= budget, name
    encodings = hybrid_grids.sdf_encodings(12, 64)
    assert isinstance(encodings["dense, 8 levels"], DenseGrid) and isinstance(encodings["tri-plane"], TriPlane)
    assert encodings["tri-plane, EG3D's planes"].axes[2] == (2, 0)
    img = torch.linspace(0, 1, 32 * 32).reshape(32, 32, 1)
    sweep = hybrid_grids.image_sweep(img, (8, 9), steps=2, seed=0, progress=False)
    assert set(sweep.runs) == {8, 9} and set(sweep.runs[8]) == {"hash grid", "dense, 8 levels", "dense, 1 level"}
    assert sweep.images[8]["hash grid"].shape == img.shape and len(sweep.psnr("hash grid")) == 2
    assert sweep.table(9)["dense, 1 level"]["parameters"] <= HashGrid.parameter_count(2, 16, 2, 9, 16, 32)
    plt.close(hybrid_grids.budget_figure(sweep))
    assert isinstance(hybrid_grids.budget_explorer(sweep), ipywidgets.VBox)


def test_hybrid_grids_sdf_scores_a_fit():
    from nfteach.explore import hybrid_grids

    data = hybrid_grids.sdf_data(shapes.sphere(0.5), n=2000, held_out=1000, seed=0)
    runs, meshes = hybrid_grids.sdf_runs(data, 12, 32, steps=5, batch_size=512, seed=0, mesh_resolution=16,
                                         progress=False)
    table = hybrid_grids.sdf_table(runs)
    assert set(table["hash grid"]) >= {"IoU", "SDF error", "Chamfer-L1", "ms / step", "parameters", "finest N"}
    assert all(0 <= row["IoU"] <= 1 for row in table.values()) and len(meshes) == 4


def test_hash_grid_sliders_and_twins_share_their_fits(monkeypatch):
    img = torch.linspace(0, 1, 16 * 16).reshape(16, 16, 1)
    fitted = []
    real_run = hash_grid.hash_grid_run
    monkeypatch.setattr(hash_grid, "hash_grid_run", lambda *args, **kwargs: fitted.append(args[1:3]) or real_run(*args, **kwargs))
    known = {}
    box = hash_grid.table_size_explorer(img, sizes=(6, 8), log2_table_size=6, known=known, steps=2)
    assert [w.description for w in box.children[0].children] == ["log₂ T"]
    fig, psnrs = hash_grid.table_size_grid(img, sizes=(6, 8), known=known, steps=2, ncols=2)
    assert len(fig.axes) == 4 and set(psnrs) == {6, 8}   # the target and two fits, two a row
    hash_grid.levels_explorer(img, choices=(1, 16), levels=16, log2_table_size=8, known=known, steps=2)
    box.children[0].children[0].value = 8   # the twin fitted it: redrawn without a fit
    assert fitted == [(6, 16), (8, 16)]   # T = 2^8 with 16 levels was fitted once for all three


def test_width_slider_is_labelled_by_what_it_sets_and_redraws_the_twins_fits_without_refitting(monkeypatch):
    img, known, fitted = torch.rand(8, 8, 1), {}, []
    real_run = activations.zoo_run
    monkeypatch.setattr(activations, "zoo_run", lambda *args, **kwargs: fitted.append(args[2]) or real_run(*args, **kwargs))
    box = activations.width_explorer(img, widths=(0.05, 0.1, 0.2), known=known, steps=1)
    assert [w.description for w in box.children[0].children] == ["width a"]
    fig, _ = activations.width_grid(img, widths=(0.05, 0.1, 0.2), known=known, ncols=2, steps=1)
    assert len(fig.axes) == 4 and fitted == [0.05, 0.1, 0.2]   # two rows of two; the slider's first fit reused
    box.children[0].children[0].value = 0.2
    assert fitted == [0.05, 0.1, 0.2] and box.children[1].value.startswith("drawn in")


def test_siren_beyond_renders_frames_and_times_between_them():
    import matplotlib

    matplotlib.use("Agg")
    from nfteach.data import clip
    from nfteach.explore import siren_beyond

    video = clip(frames=4, size=8)
    assert siren_beyond.frame_time(0, 4) == -0.75 and siren_beyond.frame_time(3, 4) == 0.75  # grid(4, …)'s centres
    nets = {kind: siren_beyond.network(kind, 3, 3, 16, 1, 2) for kind in ("SIREN", "ReLU + PE")}
    siren_beyond.fit_video(nets["SIREN"], video, steps=20, lr=1e-3, final_lr=None, batch_size=64, live=False)
    frames = siren_beyond.render(nets["SIREN"], (8, 8), [0, 1.5], 4)
    assert frames.shape == (2, 8, 8, 3) and 0 <= frames.min() and frames.max() <= 1
    assert len(siren_beyond.frame_psnr(nets["SIREN"], video)) == 4
    siren_beyond.time_grid(video, nets, times=(0, 1.5))


def test_siren_beyond_solves_a_little_and_draws_the_wave_number_twin():
    import matplotlib

    matplotlib.use("Agg")
    from nfteach.explore import siren_beyond
    from nfteach.pde import HelmholtzLoss

    problem = HelmholtzLoss(k=10.0, points=64, sigma=0.05)
    run = siren_beyond.solve_helmholtz(siren_beyond.network("SIREN", 2, 2, 16, 1, 2), problem, steps=3, lr=1e-3,
                                       source_points=8, side=16, live=False)
    assert len(run.loss) == 3 and 0 < run.error and run.k == 10.0
    assert siren_beyond.residual_map(run.net, problem, side=8).shape == (8, 8)
    siren_beyond.wavenumber_grid({10.0: run}, problem, ks=(5.0, 10.0), side=16)
