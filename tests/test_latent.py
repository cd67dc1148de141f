"""The latent core: sampling, slerp, edits, breeding, paths, history, files."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from artstudio.core.latent import (
    apply_edits, breed, crossover, interpolation_path, mutate, sample_latent, slerp, truncate,
)
from artstudio.core.latent_state import (
    LatentFileError, LatentHistory, LatentState, load_latent, save_latent,
)

D = 512


def gaussian_pairs(count=20, dim=D):
    rng = np.random.default_rng(123)
    return [(rng.standard_normal(dim).astype(np.float32), rng.standard_normal(dim).astype(np.float32))
            for _ in range(count)]


def test_sample_latent_is_seeded_float32_gaussian():
    z = sample_latent(D, 7)
    assert z.dtype == np.float32 and z.shape == (D,)
    assert np.array_equal(z, sample_latent(D, 7))
    assert not np.array_equal(z, sample_latent(D, 8))
    assert abs(np.linalg.norm(z) / np.sqrt(D) - 1) < 0.1


def test_slerp_keeps_the_norm_of_gaussian_latents_where_lerp_dips():
    ts = np.linspace(0, 1, 21)
    for a, b in gaussian_pairs():
        ends = (np.linalg.norm(a) + np.linalg.norm(b)) / 2
        norms = np.array([np.linalg.norm(slerp(a, b, t)) for t in ts])
        assert np.all(np.abs(norms / ends - 1) < 0.05)
        lerp_mid = np.linalg.norm((a + b) / 2)
        assert lerp_mid / ends < 0.8  # the dip slerp avoids
        assert norms[10] / ends > 0.95


def test_slerp_endpoints_are_exact_and_path_is_smooth():
    a, b = gaussian_pairs(1)[0]
    assert np.array_equal(slerp(a, b, 0.0), a)
    assert np.array_equal(slerp(a, b, 1.0), b)
    assert slerp(a, b, 0.3).dtype == np.float32
    mid = slerp(a, b, 0.5)  # equidistant in angle from both ends
    cos = lambda u, v: u @ v / np.linalg.norm(u) / np.linalg.norm(v)  # noqa: E731
    assert cos(mid, a) == pytest.approx(cos(mid, b), abs=1e-5)


def test_slerp_of_parallel_or_zero_latents_falls_back_to_lerp():
    a = np.ones(8, np.float32)
    assert np.allclose(slerp(a, 3 * a, 0.5), 2 * a)
    assert np.allclose(slerp(np.zeros(8, np.float32), a, 0.25), 0.25 * a)
    with pytest.raises(ValueError):
        slerp(a, np.ones(9, np.float32), 0.5)


def test_truncate_scales_and_rejects_out_of_range():
    z = sample_latent(16, 1)
    assert np.array_equal(truncate(z, 1.0), z)
    assert np.allclose(truncate(z, 0.5), z * 0.5)
    for psi in (0.0, -1, 1.5):
        with pytest.raises(ValueError):
            truncate(z, psi)


def test_apply_edits_moves_along_directions_in_sigma_units():
    z = sample_latent(D, 3)
    vectors = np.linalg.qr(np.random.default_rng(0).standard_normal((D, 5)))[0].T.astype(np.float32)
    moved = apply_edits(z, vectors, {1: 2.0, 3: -1.5})
    assert np.allclose((moved - z) @ vectors[1], 2.0, atol=1e-4)
    assert np.allclose((moved - z) @ vectors[3], -1.5, atol=1e-4)
    assert np.allclose((moved - z) @ vectors[0], 0.0, atol=1e-4)
    assert np.array_equal(apply_edits(z, vectors, ((2, 0.0),)), z)
    assert np.array_equal(apply_edits(z, None, {}), z)
    with pytest.raises(ValueError, match="direction 5 does not exist"):
        apply_edits(z, vectors, {5: 1.0})


def test_mutation_strength_zero_is_the_parent_and_one_is_independent():
    z = sample_latent(D, 4)
    assert np.array_equal(mutate(z, 0.0, np.random.default_rng(1)), z)
    assert np.array_equal(breed(z, 12, 0.0, seed=5), np.tile(z, (12, 1)))
    fresh = breed(z, 200, 1.0, seed=5)
    correlation = fresh @ z / np.linalg.norm(fresh, axis=1) / np.linalg.norm(z)
    assert np.abs(correlation).max() < 0.25  # ~N(0, 1/sqrt(512)) for independent latents
    assert abs(correlation.mean()) < 0.02


@pytest.mark.parametrize("strength", [0.1, 0.5, 0.9])
def test_breeding_keeps_gaussian_norm_statistics(strength):
    parents = np.stack([sample_latent(D, s) for s in range(50)])
    children = np.concatenate([breed(p, 12, strength, seed=i) for i, p in enumerate(parents)])
    norms = np.linalg.norm(children, axis=1) / np.sqrt(D)
    assert abs(norms.mean() - 1) < 0.02 and norms.std() < 0.06
    assert abs(children.std() - 1) < 0.02


def test_breed_shape_determinism_and_closeness():
    z = sample_latent(D, 9)
    kids = breed(z, 12, 0.3, seed=42)
    assert kids.shape == (12, D) and kids.dtype == np.float32
    assert np.array_equal(kids, breed(z, 12, 0.3, seed=42))
    assert not np.array_equal(kids, breed(z, 12, 0.3, seed=43))
    assert np.array_equal(breed(z, 5, 0.3, seed=42), kids[:5])
    near = np.linalg.norm(kids - z, axis=1).mean()
    far = np.linalg.norm(breed(z, 12, 0.9, seed=42) - z, axis=1).mean()
    assert near < far
    with pytest.raises(ValueError):
        breed(z, 12, 1.5, seed=0)


def test_crossover_blend_ends_and_mix_mask():
    a, b = gaussian_pairs(1)[0]
    for mode in ("slerp", "mix"):
        assert np.array_equal(crossover(a, b, 0.0, mode), a)
        assert np.array_equal(crossover(a, b, 1.0, mode), b)
    mixed = crossover(a, b, 0.25, "mix", seed=3)
    from_a, from_b = mixed == a, mixed == b
    assert np.all(from_a | from_b)
    assert 0.15 < from_b.mean() < 0.35
    assert np.array_equal(mixed, crossover(a, b, 0.25, "mix", seed=3))
    assert not np.array_equal(mixed, crossover(a, b, 0.25, "mix", seed=4))
    assert np.array_equal(crossover(a, b, 0.4, "slerp"), slerp(a, b, 0.4))
    with pytest.raises(ValueError, match="unknown crossover mode"):
        crossover(a, b, 0.5, "average")


@pytest.mark.parametrize("frames", [3, 10, 24, 25])
def test_interpolation_path_hits_keys_at_segment_starts(frames):
    keys = np.stack([sample_latent(64, s) for s in (1, 2, 3)])
    path = interpolation_path(keys, frames, loop=False)
    assert path.shape == (frames, 64) and path.dtype == np.float32
    found = [next(i for i, row in enumerate(path) if np.array_equal(row, k)) for k in keys]
    assert found[0] == 0 and found[-1] == frames - 1 and found == sorted(found)


def test_looping_path_closes_back_to_the_first_key_evenly():
    keys = np.stack([sample_latent(D, s) for s in (1, 2, 3)])
    path = interpolation_path(keys, 24, loop=True)
    assert path.shape == (24, D)
    assert np.array_equal(path[0], keys[0]) and np.array_equal(path[8], keys[1])
    assert np.array_equal(path[16], keys[2])
    steps = np.linalg.norm(np.diff(np.concatenate([path, path[:1]]), axis=0), axis=1)
    assert steps.max() / steps.min() < 1.2  # no jump where it wraps round
    assert not any(np.array_equal(row, keys[0]) for row in path[1:])


def test_interpolation_path_edge_cases():
    key = sample_latent(8, 0)[None]
    assert np.array_equal(interpolation_path(key, 4, loop=True), np.repeat(key, 4, axis=0))
    with pytest.raises(ValueError, match="at least 3 frames"):
        interpolation_path(np.zeros((3, 8)) + 1, 2, loop=False)


def make_state(seed=1, dim=D, **kw):
    return LatentState("dcgan-faces", "abc123", seed, sample_latent(dim, seed), **kw)


def test_state_is_an_immutable_value():
    state = make_state(edits=((3, 1.0), (1, 0.0), (0, -2)), names={3: " smile "})
    assert state.edits == ((0, -2.0), (3, 1.0)) and state.names == ((3, "smile"),)
    assert state == make_state(edits={0: -2, 3: 1.0}, names=((3, "smile"),))
    assert state != make_state(seed=2)
    with pytest.raises(ValueError):
        state.latent[0] = 5
    moved = state.with_edit(3, 0.0).with_name(4, "hair")
    assert moved.edits == ((0, -2.0),) and moved.name(4) == "hair" and state.edit(3) == 1.0
    with pytest.raises(ValueError):
        make_state(truncation=0)


def test_effective_applies_edits_then_truncation():
    vectors = np.eye(D, dtype=np.float32)[:4]
    state = make_state(truncation=0.5, edits={2: 3.0})
    expected = (state.latent + 3.0 * vectors[2]) * 0.5
    assert np.allclose(state.effective(vectors), expected)
    assert np.array_equal(make_state().effective(None), make_state().latent)


def test_history_undo_redo_and_redo_cleared_on_push():
    history = LatentHistory()
    states = [make_state(seed) for seed in range(4)]
    assert history.current is None and not history.can_undo and history.undo() is None
    for state in states[:3]:
        history.push(state)
    history.push(states[2])  # identical: no extra step
    assert len(history) == 3
    assert history.undo() == states[1] and history.undo() == states[0]
    assert history.undo() is None and history.current == states[0]
    assert history.redo() == states[1] and history.can_redo
    history.push(states[3])
    assert not history.can_redo and history.redo() is None
    assert history.undo() == states[1]


def test_history_is_bounded():
    history = LatentHistory(limit=5)
    for seed in range(12):
        history.push(make_state(seed, dim=4))
    assert len(history) == 5
    while history.can_undo:
        history.undo()
    assert history.current.seed == 7


def test_save_and_load_round_trip(tmp_path):
    state = make_state(truncation=0.7, edits={1: 1.5}, names={1: "smile", 2: "hair"})
    path = save_latent(tmp_path / "face.npz", state)
    assert path == tmp_path / "face.npz" and (tmp_path / "face.json").is_file()
    meta = json.loads((tmp_path / "face.json").read_text())
    assert meta["model"] == "dcgan-faces" and meta["model_hash"] == "abc123" and meta["seed"] == 1
    assert meta["names"] == [[1, "smile"], [2, "hair"]] and "app_version" in meta
    loaded = load_latent(path, expected_dim=D)
    assert loaded == state
    assert save_latent(tmp_path / "other", state).name == "other.npz"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("case, expected", [
    ("missing", "File not found: 'face.npz'"),
    ("no_json", "File not found: 'face.json'"),
    ("npz", "Cannot read 'face.npz': the file is damaged"),
    ("pickle", "Cannot read 'face.npz': the file is damaged"),
    ("json", "Cannot read 'face.json': the file is damaged"),
    ("field", "'seed' is missing"),
    ("size", "its latent has 512 values but the model expects 100"),
])
def test_load_latent_errors_are_one_clear_line(tmp_path, case, expected):
    path = save_latent(tmp_path / "face.npz", make_state())
    sidecar = tmp_path / "face.json"
    if case == "missing":
        path.unlink()
    elif case == "no_json":
        sidecar.unlink()
    elif case == "npz":
        path.write_bytes(path.read_bytes()[:40])
    elif case == "pickle":
        np.savez(path, latent=np.array([{"evil": 1}], dtype=object))
    elif case == "json":
        sidecar.write_text("{not json")
    elif case == "field":
        meta = json.loads(sidecar.read_text())
        del meta["seed"]
        sidecar.write_text(json.dumps(meta))
    with pytest.raises(LatentFileError) as info:
        load_latent(path, expected_dim=100 if case == "size" else None)
    message = str(info.value)
    assert expected in message and "\n" not in message


def test_breeding_a_seed_with_the_same_seed_does_not_replay_its_latent():
    z = sample_latent(D, 11)
    kids = breed(z, 12, 1.0, seed=11)
    assert np.abs(kids @ z / np.linalg.norm(kids, axis=1) / np.linalg.norm(z)).max() < 0.25


def test_a_projected_state_has_no_seed_and_says_so_in_its_file(tmp_path):
    seeded = make_state(seed=42)
    projected = dataclasses.replace(seeded, latent=np.full(D, 0.5, np.float32), origin="projection")
    assert projected.seed is None and projected.origin == "projection" and projected.source == "projected"
    assert seeded.source == "seed 42" and projected != dataclasses.replace(projected, origin="seed", seed=42)
    with pytest.raises(ValueError):
        LatentState("m", "h", None, seeded.latent)                 # a seed state needs its seed
    with pytest.raises(ValueError):
        dataclasses.replace(seeded, origin="dream")
    path = save_latent(tmp_path / "proj.npz", projected)
    meta = json.loads(path.with_suffix(".json").read_text())
    assert meta["seed"] is None and meta["origin"] == "projection"
    back = load_latent(path)
    assert back == projected and back.seed is None
    again = dataclasses.replace(back, seed=42, origin="seed", latent=sample_latent(D, 42))
    assert again.seed == 42 and again.origin == "seed"


def test_a_latent_file_without_an_origin_is_a_seed_state(tmp_path):
    path = save_latent(tmp_path / "old.npz", make_state(seed=9))
    sidecar = path.with_suffix(".json")
    meta = json.loads(sidecar.read_text())
    del meta["origin"]                                              # as written before issue 15
    sidecar.write_text(json.dumps(meta))
    back = load_latent(path)
    assert back.origin == "seed" and back.seed == 9
