"""Mock morphology: bulge + disk galaxies, inclinations, mergers and the MORPH_CLASS label."""

from __future__ import annotations

import numpy as np

from astroclip_engine.data.mock import generate_block
from astroclip_engine.data.mock_images import Sources, galaxy_sources, render
from astroclip_engine.data.mock_morphology import MORPH_CLASSES, sample_morphology
from astroclip_engine.data.mock_physics import sample_physics


def test_classes_follow_structure() -> None:
    phys = sample_physics(np.random.default_rng(0), 4000)
    morph = sample_morphology(np.random.default_rng(1), phys)
    counts = np.bincount(morph.morph_class, minlength=len(MORPH_CLASSES)) / len(phys)
    assert (counts > 0.015).all()  # every class is there, mergers are rare but present
    assert counts[3] < 0.1
    smooth, edge_on = morph.morph_class == 0, morph.morph_class == 2
    assert (morph.bulge_fraction[smooth] >= 0.5).all()
    assert (morph.disk_axis_ratio[edge_on] < 0.35).all()
    bt = morph.bulge_fraction
    assert bt[phys.quiescent].mean() > bt[~phys.quiescent].mean() + 0.3
    share = morph.band_bulge_fraction()
    assert (share[:, 2] >= share[:, 0]).all()  # bulges are redder: a colour gradient


def _second_moment_ratio(image: np.ndarray) -> float:
    yy, xx = np.mgrid[0:image.shape[0], 0:image.shape[1]]
    w = np.clip(image, 0, None)
    x0, y0 = (w * xx).sum() / w.sum(), (w * yy).sum() / w.sum()
    cov = np.cov(np.stack([xx.ravel() - x0, yy.ravel() - y0]), aweights=w.ravel())
    ev = np.linalg.eigvalsh(cov)
    return float(np.sqrt(ev[0] / ev[1]))


def test_edge_on_disks_render_elongated_and_face_on_round() -> None:
    phys = sample_physics(np.random.default_rng(2), 400)
    morph = sample_morphology(np.random.default_rng(3), phys)
    pick = [int(np.flatnonzero((morph.morph_class == 2) & (morph.disk_r_e > 1.5))[0]),
            int(np.flatnonzero((morph.disk_axis_ratio > 0.9) & (morph.bulge_fraction < 0.2)
                               & (morph.disk_r_e > 1.5))[0])]
    ratios = []
    for i in pick:
        sub = type(morph)(**{k: v[[i]] for k, v in vars(morph).items()})
        src = galaxy_sources(sub, np.ones((1, 3)), np.array([48.0]), np.array([48.0]),
                             np.array([0.3]))
        image = render(Sources.concat([src]), 1, 96, np.array([[0.5, 0.5, 0.5]]))[0, 1]
        np.testing.assert_allclose(image.sum(), 1.0 + sub.companion_flux_ratio[0] * 1.06,
                                   rtol=0.03)
        ratios.append(_second_moment_ratio(image))
    assert ratios[0] < 0.5 < 0.8 < ratios[1]


def test_property_table_has_morphology_labels() -> None:
    block = generate_block(seed=1, block=0, count=64, image_size=32)
    props = block.properties()
    assert set(np.unique(props["MORPH_CLASS"])) <= {0, 1, 2, 3}
    assert ((props["BULGE_FRACTION"] >= 0) & (props["BULGE_FRACTION"] <= 1)).all()
    np.testing.assert_allclose(props["SERSIC_N"], 1 + 3 * props["BULGE_FRACTION"] ** 1.5)
