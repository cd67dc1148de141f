"""The Generate session without a window: state, history, favourites, breeding, events."""

import random

import numpy as np
import pytest

from artstudio.core.events import Event, EventGroup
from artstudio.core.generate_session import EVENTS, GenerateSession, ModelInfo
from artstudio.core.latent import apply_edits, sample_latent
from artstudio.core.latent_state import LatentState

DIM, DIRECTIONS = 8, 3


def make_info(model="toy", dim=DIM, directions=DIRECTIONS, model_hash="h1", kind="gan") -> ModelInfo:
    vectors = np.linalg.qr(np.random.default_rng(1).standard_normal((dim, directions)))[0].T
    return ModelInfo(model, model_hash, dim, 32, kind, np.ones(directions, np.float32),
                     np.ascontiguousarray(vectors, np.float32))


class Recorder:
    """Every event of a session, in order, as (name, args)."""

    def __init__(self, session):
        self.seen = []
        for name in EVENTS:
            getattr(session.events, name).connect(lambda *args, n=name: self.seen.append((n, args)))

    def names(self):
        return [name for name, _ in self.seen]

    def clear(self):
        self.seen.clear()


@pytest.fixture
def session():
    s = GenerateSession(rng=random.Random(5), children=6)
    s.load_model(make_info())
    return s


@pytest.fixture
def events(session):
    return Recorder(session)


def test_loading_a_model_starts_from_a_recorded_random_seed(session):
    state = session.state
    assert state.model == "toy" and state.model_hash == "h1"
    assert np.array_equal(state.latent, sample_latent(DIM, state.seed))
    assert len(session.history) == 1 and not session.history.can_undo


def test_load_announces_the_model_then_favourites_then_the_state():
    s = GenerateSession(rng=random.Random(0))
    rec = Recorder(s)
    s.load_model(make_info())
    assert rec.names() == ["model_changed", "favourites_changed", "history_changed", "state_changed"]
    info, names = rec.seen[0][1]
    assert info.model == "toy" and names == {}


def test_each_change_fires_one_state_event_and_one_history_event(session, events):
    session.set_edit(1, 1.5)
    assert events.names() == ["history_changed", "state_changed"]
    state, dragging = events.seen[-1][1]
    assert state is session.state and not dragging and dict(state.edits) == {1: 1.5}


def test_an_unchanged_commit_adds_no_undo_step_and_no_history_event(session, events):
    depth = len(session.history)
    session.commit(session.state)
    assert len(session.history) == depth
    assert events.names() == ["state_changed"]


def test_dragging_changes_the_state_but_not_the_history(session, events):
    depth = len(session.history)
    for sigma in np.linspace(0.1, 2, 10):
        session.set_edit(0, float(sigma), dragging=True)
    assert len(session.history) == depth
    assert events.names() == ["state_changed"] * 10
    assert all(dragging for _, (_, dragging) in events.seen)
    session.set_edit(0, 2.0, dragging=False)
    assert len(session.history) == depth + 1


def test_undo_and_redo_round_trip(session, events):
    first = session.state
    session.set_seed(42)
    second = session.state
    session.set_truncation(0.5)
    session.undo()
    assert session.state == second
    session.undo()
    assert session.state == first and not session.history.can_undo
    session.redo()
    session.redo()
    assert session.state.truncation == 0.5 and session.state.seed == 42
    session.undo()       # at the start of the history nothing happens
    events.clear()
    session.redo()
    session.redo()       # at the end, nothing either
    assert events.names() == ["state_changed", "history_changed"]


def test_a_seed_resets_the_edits_and_randomize_draws_from_the_rng(session):
    session.set_edit(0, 1.0)
    session.set_seed(7)
    assert session.state.seed == 7 and session.state.edits == ()
    assert np.array_equal(session.state.latent, sample_latent(DIM, 7))
    expected = random.Random(11).randrange(0, 2**31 - 1)
    s = GenerateSession(rng=random.Random(11))
    s.load_model(make_info())
    assert s.state.seed == expected


def test_raw_values_and_reset(session):
    session.set_edit(2, -1.0)
    session.set_raw(3, 2.5)
    assert session.state.latent[3] == 2.5
    session.reset_edits()
    assert session.state.edits == () and session.state.latent[3] == 2.5


def test_names_are_kept_per_model_weights_in_the_store():
    store = {}
    s = GenerateSession(store, rng=random.Random(1))
    s.load_model(make_info())
    s.rename_direction(1, "smile")
    assert dict(s.state.names) == {1: "smile"} and store == {"h1": {"1": "smile"}}
    again = GenerateSession(store, rng=random.Random(2))
    rec = Recorder(again)
    again.load_model(make_info())
    assert rec.seen[0][1][1] == {1: "smile"} and dict(again.state.names) == {1: "smile"}


def test_a_state_of_another_model_is_refused(session, events):
    alien = LatentState("other", "x", 3, sample_latent(DIM, 3))
    before = session.state
    with pytest.raises(ValueError, match="does not fit"):
        session.commit(alien)
    short = LatentState("toy", "h1", 3, sample_latent(DIM - 1, 3))
    with pytest.raises(ValueError):
        session.commit(short)
    assert session.state is before and events.seen == []
    assert not session.open_state(alien)          # the caller must load "other" first
    assert session.state is before


def test_opening_a_state_that_does_not_fit_explains_why(session, events):
    edited = LatentState("toy", "old-hash", 9, sample_latent(DIM, 9), edits=((0, 1.0), (7, 2.0)))
    assert session.open_state(edited)
    messages = [args[0] for name, args in events.seen if name == "message"]
    assert any("Ignored edits" in m for m in messages) and any("different version" in m for m in messages)
    assert dict(session.state.edits) == {0: 1.0} and session.state.seed == 9
    events.clear()
    wrong = LatentState("toy", "h1", 1, sample_latent(DIM + 2, 1))
    current = session.state
    assert session.open_state(wrong)
    assert session.state is current and "has 10 values" in events.seen[0][1][0]


def test_a_state_saved_for_a_model_is_restored_when_that_model_loads():
    s = GenerateSession(rng=random.Random(3))
    saved = LatentState("toy", "h1", 77, sample_latent(DIM, 77), truncation=0.7, names=((0, "hair"),))
    s.load_model(make_info(), then=saved)
    assert s.state == saved


def test_favourites_need_a_picture_and_belong_to_their_model(session, events):
    assert not session.add_favourite() and events.seen == []
    session.set_last_image(np.zeros((4, 4, 3), np.uint8))
    assert session.add_favourite()
    assert events.names() == ["favourites_changed", "message"] and "#1" in events.seen[1][1][0]
    assert session.favourites == [session.state]
    session.load_model(make_info("other", dim=5, model_hash="h2"))
    assert session.favourites == [] and not session.can_animate
    session.load_model(make_info())
    assert len(session.favourites) == 1
    session.set_seed(5)
    session.go_to_favourite(0)
    assert session.state == session.favourites[0]


def test_a_favourite_keeps_its_own_copy_of_the_picture(session):
    image = np.zeros((4, 4, 3), np.uint8)
    session.set_last_image(image)
    session.add_favourite()
    image[:] = 255
    assert session.favourite_entries()[0][1].max() == 0


def test_breeding_is_deterministic_with_a_seed_and_children_can_be_adopted(session, events):
    session.set_edit(0, 1.0)
    session.set_truncation(0.5)
    events.clear()
    latents = session.breed(0.3, seed=4)
    children = session.children.copy()
    assert latents.shape == (6, DIM) and np.allclose(latents, children * 0.5)
    assert events.names() == ["children_changed"] and events.seen[0][1][0] is latents
    assert np.array_equal(session.breed(0.3, seed=4), latents)
    assert not np.array_equal(session.breed(0.3, seed=5), latents)
    session.breed(0.3, seed=4)
    session.adopt_child(2)
    assert np.array_equal(session.state.latent, children[2]) and session.state.edits == ()
    session.adopt_child(99)                       # no such child: nothing happens
    assert np.array_equal(session.state.latent, children[2])


def test_breeding_starts_from_the_edited_latent(session):
    session.set_edit(1, 2.0)
    session.breed(0.0, seed=1)                    # strength 0: copies of the parent
    expected = apply_edits(session.state.latent, session.info.vectors, {1: 2.0})
    assert np.allclose(session.children, expected[None], atol=1e-6)


def test_children_of_another_model_cannot_be_adopted(session):
    session.breed(0.5, seed=1)
    session.load_model(make_info("other", dim=5, model_hash="h2"))
    before = session.state
    session.adopt_child(0)
    assert session.state is before and session.children is None


def test_a_model_switch_says_the_children_are_gone(session, events):
    session.breed(0.5, seed=1)
    events.clear()
    session.load_model(make_info("other", dim=5, model_hash="h2"))
    assert ("children_changed", (None,)) in events.seen and session.children is None


def test_children_of_a_retrained_model_with_another_latent_size_cannot_be_adopted(session, events):
    session.breed(0.5, seed=1)                  # 8 values; "toy" is then retrained with 5
    session.load_model(make_info("toy", dim=5, model_hash="h2"))
    before = session.state
    assert not session.adopt_child(0)           # no ValueError, no 8-value latent reaching a 5-value model
    assert session.state is before and session.children is None and before.dim == 5
    assert not session.history.can_undo         # the old model's states are not undo steps of this one


def test_a_picked_child_is_the_parent_of_the_next_breed(session):
    old_parent = session.state.latent.copy()
    session.breed(0.5, seed=2)
    assert session.picked_child() is None
    picked = session.children[4].copy()
    assert session.adopt_child(4) and session.picked_child() == 4
    session.breed(0.1, seed=3)
    assert session.picked_child() is None
    to_picked = np.linalg.norm(session.children - picked, axis=1)
    to_old = np.linalg.norm(session.children - old_parent, axis=1)
    assert (to_picked < to_old).all()             # every new child is bred around the picked one
    session.adopt_child(1)
    session.set_edit(0, 1.0)
    assert session.picked_child() is None         # edited: no longer that child
    session.undo()
    assert session.picked_child() == 1


def test_a_favourite_can_be_removed(session, events):
    add_two_favourites(session)
    second = session.favourites[1]
    events.clear()
    assert session.remove_favourite(0) and session.favourites == [second]
    assert events.names() == ["favourites_changed", "message"] and "Removed favourite #1" in events.seen[1][1][0]
    assert not session.remove_favourite(5) and session.favourites == [second]


def add_two_favourites(session):
    session.set_last_image(np.zeros((4, 4, 3), np.uint8))
    session.add_favourite()
    session.set_seed(1234)
    session.add_favourite()


def test_crossover_of_two_favourites(session):
    add_two_favourites(session)
    a, b = session.favourites
    assert session.cross(0, 1, 0.0, "slerp")
    assert np.allclose(session.state.latent, a.latent, atol=1e-5)
    assert session.cross(0, 1, 1.0, "slerp")
    assert np.allclose(session.state.latent, b.latent, atol=1e-5)
    session.cross(0, 1, 0.5, "mix", seed=3)
    mixed = session.state.latent.copy()
    session.cross(0, 1, 0.5, "mix", seed=3)
    assert np.array_equal(session.state.latent, mixed)
    assert np.all((mixed == a.latent) | (mixed == b.latent))
    assert not session.cross(0, 2, 0.5, "slerp") and not session.cross(-1, 1, 0.5, "slerp")


def test_animation_runs_through_the_favourites(session):
    assert not session.can_animate
    add_two_favourites(session)
    assert session.can_animate
    keys = session.animation_keys()
    frames = session.animation_latents(6, loop=False)
    assert frames.shape == (6, DIM)
    assert np.allclose(frames[0], keys[0]) and np.allclose(frames[-1], keys[1])


def test_a_projection_result_becomes_the_state(session):
    latent = np.full(DIM, 0.25, np.float64)
    session.set_edit(0, 1.0)
    session.adopt_latent(latent)
    assert session.state.latent.dtype == np.float32 and session.state.edits == ()
    assert np.array_equal(session.state.latent, latent.astype(np.float32))
    assert session.state.origin == "seed"          # a child or a crossover keeps its ancestor's seed


def test_a_projection_has_no_seed_and_a_typed_seed_starts_from_that_seed(session):
    old = session.state.seed
    session.adopt_latent(np.full(DIM, 0.25, np.float32), origin="projection")
    assert session.state.seed is None and session.state.origin == "projection"
    session.breed(0.2, seed=1)
    session.adopt_child(0)
    assert session.state.seed is None                 # a child of a projection is no seed's either
    session.set_last_image(np.zeros((4, 4, 3), np.uint8))
    session.add_favourite()                           # a projected favourite ...
    session.set_seed(old)
    assert session.state.origin == "seed" and session.state.seed == old
    session.add_favourite()
    assert session.cross(0, 1, 0.5, "slerp") and session.state.seed is None   # ... makes seedless children
    session.set_seed(old)
    assert np.array_equal(session.state.latent, sample_latent(DIM, old))


def test_nothing_happens_before_a_model_is_loaded():
    s = GenerateSession()
    rec = Recorder(s)
    s.set_seed(3)
    s.set_edit(0, 1.0)
    s.randomize()
    s.undo()
    assert s.breed(0.5) is None and s.render_latent() is None and not s.add_favourite()
    assert rec.seen == [] and s.state is None


def test_render_latent_applies_edits_and_truncation(session):
    session.set_edit(0, 1.5)
    session.set_truncation(0.5)
    expected = apply_edits(session.state.latent, session.info.vectors, {0: 1.5}) * 0.5
    assert np.allclose(session.render_latent(), expected, atol=1e-6)


def test_events_call_each_subscriber_once_and_can_disconnect():
    group = EventGroup("changed")
    seen = []
    callback = group.changed.connect(seen.append)
    group.changed.connect(callback)               # a second connect is not a second call
    group.changed.emit(1)
    group.changed.disconnect(callback)
    group.changed.emit(2)
    group.changed.disconnect(callback)            # not connected: ignored
    assert seen == [1] and len(group.changed) == 0


def test_a_subscriber_may_disconnect_while_being_told():
    event = Event("changed")
    seen = []

    def once(value):
        seen.append(("once", value))
        event.disconnect(once)

    event.connect(once)
    event.connect(lambda value: seen.append(("always", value)))
    event.emit(1)
    event.emit(2)
    assert seen == [("once", 1), ("always", 1), ("always", 2)]
