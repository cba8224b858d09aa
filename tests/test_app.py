"""The interactive SolaraViz app (simulator.app): model wiring, layout, headless rendering."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("solara", reason="the app needs the optional 'viz' extra (mesa[viz])")

import ipyvuetify as v  # noqa: E402
import ipywidgets  # noqa: E402
import solara  # noqa: E402

from simulator import app  # noqa: E402
from simulator.scenario.presets import params_model  # noqa: E402

SMALL = 5_000  # followers: a step takes milliseconds


def test_sliders_reach_the_scenario():
    m = app.AppModel(preset="蒲公英式", p0=0.004, relay_scale=0.5, tolerance=7.0, posts_per_day=4, size=SMALL)
    sc = m.config
    assert m.preset == "dandelion" and sc.topology.preset == "dandelion"
    assert sc.behaviour.p0 == 0.004
    assert sc.fatigue.tolerance.median == 7.0
    assert m.world.n == SMALL
    # Every relay probability of the preset is halved (official -> sub-brand is 0.8 by default).
    defaults = params_model("dandelion")()
    core = [e for e in m.matrix.relays if m.accounts[e.source].data.id == "official"]
    assert core and all(math.isclose(e.probability, defaults.on_topic_probability * 0.5) for e in core)
    # 4 posts a day over the 72 h horizon, 6 h apart.
    times = sorted(it.at for it in m.matrix.items)
    assert times == [6.0 * k for k in range(12)]


def test_relay_scale_is_clipped_to_one():
    doc = app.app_document("centralized", relay_scale=2.0)
    assert doc["topology"]["params"]["relay_probability"] == 1.0  # 0.9 x 2 clipped
    assert app.app_document("organic", relay_scale=2.0)["topology"]["params"] == {}


def test_highlight_follows_the_relay_log():
    m = app.AppModel(preset="hub", size=SMALL, seed=3)
    official = m.matrix.by_id["official"]
    m.step()  # hour 0: the official account posts; zero-latency relays may follow in the tick
    assert official in m.posted_now
    seen = list(m.fired_now)
    while m.running:
        m.step()
        seen += m.fired_now
        assert set(m.relayed_now) == {t for _, t in m.fired_now}
    by_id = m.matrix.by_id
    assert seen == m.fired_all == [(by_id[r["source"]], by_id[r["target"]]) for r in m.relay_log]
    assert len(seen) == m.counters["account_relays"] > 0


def test_positions_are_a_radial_tree():
    hub = app.AppModel(preset="hub", size=SMALL)
    pos = app.account_positions(hub)
    r = np.hypot(pos[:, 0], pos[:, 1])
    official = hub.matrix.by_id["official"]
    assert r[official] == 0
    assert np.allclose(np.delete(r, official), 1.0)  # every spoke one relay away
    dand = app.AppModel(preset="dandelion", size=SMALL)
    pos = app.account_positions(dand)
    r = np.hypot(pos[:, 0], pos[:, 1])
    kinds = np.array([a.data.kind for a in dand.accounts])
    assert np.allclose(r[kinds == "sub_brand"], 1.0) and np.allclose(r[kinds == "regional"], 2.0)
    assert len(np.unique(pos.round(6), axis=0)) == len(pos)  # no two accounts on one spot
    organic = app.AppModel(preset="organic", size=SMALL)  # several roots, no relays: one ring
    r = np.hypot(*app.account_positions(organic).T)
    assert np.allclose(r, 1.0)


def _images(rc) -> list[bytes]:
    return [bytes(w.value) for w in rc.find(ipywidgets.Image).widgets]


@pytest.mark.slow
def test_page_renders_headlessly_and_steps():
    model = solara.reactive(app.AppModel(size=SMALL, seed=1))
    first = model.value
    # AppLayout hosts SolaraViz's sidebar (controls and sliders), as `solara run` does.
    box, rc = solara.render(solara.AppLayout(children=[app.make_page(model)]), handle_error=False)
    before = _images(rc)
    assert len(before) == 4  # account network + reach, fatigue and exits curves
    step = rc.find(v.Btn, children=["Step"])
    step.assert_single()
    for _ in range(4):
        step.widget.click()
    assert model.value is first and first.tick == 4
    after = _images(rc)
    assert all(a != b for a, b in zip(before, after))  # every figure was redrawn
    # The page steps the very model the engine runs: same counters as stepping it directly.
    twin = app.AppModel(size=SMALL, seed=1)
    for _ in range(4):
        twin.step()
    assert first.counters == twin.counters and first.counters["reach"] > 0

    # Sliders: choose a preset and a repost probability, then Reset rebuilds the model.
    rc.find(v.Select, label="Topology preset").widget.v_model = "twin_star"
    rc.find(v.Slider, label="Repost probability p0").widget.v_model = 0.004
    rc.find(v.Btn, children=["Reset"]).widget.click()
    rebuilt = model.value
    assert rebuilt is not first and isinstance(rebuilt, app.AppModel)
    assert rebuilt.preset == "twin_star" and rebuilt.config.behaviour.p0 == 0.004 and rebuilt.tick == 0
    step.widget.click()
    assert rebuilt.tick == 1 and rebuilt.counters["account_posts"] >= 1


def test_module_page_is_a_solara_element():
    # `solara run simulator/app/viz.py` and a notebook cell (`page`) both use this element.
    import reacton.core

    assert isinstance(app.page, reacton.core.Element)


def test_app_scales_presets_from_their_own_default_population():
    from simulator.app import viz
    from simulator.scenario.preset_shapes import PresetParams

    assert PresetParams.model_fields["population_size"].default == viz.PRESET_POPULATION
