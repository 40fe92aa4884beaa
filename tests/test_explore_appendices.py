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
