"""Property-based fuzzing of the scenario and target loaders: whatever the text, the only exception
is the project's own ScenarioError (never a KeyError, RecursionError, a pydantic error or a hang).

The default profile runs a few seconds; ``-m slow`` runs the long profile (thousands of inputs).
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import simulator
from simulator.calibration.targets import load_target, target_from_document
from simulator.scenario.errors import ScenarioError
from simulator.scenario.yaml_io import parse_yaml

from .conftest import SCENARIOS

FAST = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=3000, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# YAML syntax, tags, anchors, escapes, numbers and hostile characters
ALPHABET = st.sampled_from(
    list(":-[]{},&*!|>'\"#%@?<=~.\n  \t")
    + ["!!int ", "!!float ", "!!str ", "!!binary ", "!!python/object ", "&a ", "*a", "<<: ", "--- ", "...", "\\0"]
    + ["1e308", ".inf", ".nan", "-_", "0x", "0o", "1_0", "true", "null", "~"]
    + list("abcxyz0123456789")
    + ["\x00", "\x07", "\u202e", "\u2066", "\ufeff", "万达", "\U0001f600", "\x85", "\u2028"]
    + ["name", "topology", "hub", "population", "size", "accounts", "relays", "campaign", "id", "followers"]
)
yaml_text = st.lists(ALPHABET, max_size=80).map("".join)

BASE = (SCENARIOS / "hub.yaml").read_text(encoding="utf-8")

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
KEYS = st.sampled_from(
    ["name", "seed", "topology", "population", "size", "regions", "graph", "mean_followees", "accounts", "id",
     "count", "followers", "median", "sigma", "handle", "relays", "source", "target", "probability", "pattern",
     "campaign", "account", "at", "repeat", "every", "behaviour", "p0", "fatigue", "kappa", "time", "tick",
     "horizon", "preset", "params", "sweep", "parameters", "values", "depth1_share", "exposure_response"]
)  # fmt: skip
documents = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=25,
)


def only_scenario_errors(fn, *args, **kwargs) -> None:
    try:
        fn(*args, **kwargs)
    except ScenarioError as e:
        assert e.problems and all(str(p) for p in e.problems)


def _check_text(text: str) -> None:
    only_scenario_errors(parse_yaml, text, "fuzz.yaml")
    only_scenario_errors(simulator.load_text, text, "fuzz.yaml")


def _check_mutation(data: st.DataObject) -> None:
    """The bundled hub scenario with a few random edits: mostly near-valid, deep in the loader."""
    text = BASE
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 12))
        text = text[:at] + data.draw(yaml_text) + text[at + cut :]
    _check_text(text)


def _check_document(doc: object) -> None:
    """Arbitrary plain data, given as a mapping (notebooks) and as YAML text (JSON is YAML)."""
    if isinstance(doc, dict):
        only_scenario_errors(simulator.load_document, doc, "<fuzz>")
        only_scenario_errors(target_from_document, doc, "<fuzz>")
    safe = json.dumps(doc, default=str, allow_nan=True).replace("NaN", ".nan").replace("Infinity", ".inf")
    _check_text(safe)


@FAST
@given(yaml_text)
def test_fuzz_yaml_text(text):
    _check_text(text)


@FAST
@given(st.data())
def test_fuzz_mutated_scenario(data):
    _check_mutation(data)


@FAST
@given(documents)
def test_fuzz_documents(doc):
    _check_document(doc)


@FAST
@given(yaml_text)
def test_fuzz_target_files(tmp_path_factory, text):
    p = tmp_path_factory.mktemp("t") / "target.yaml"
    p.write_text(text, encoding="utf-8")
    only_scenario_errors(load_target, p)


@pytest.mark.slow
@LONG
@given(yaml_text)
def test_fuzz_yaml_text_long(text):
    _check_text(text)


@pytest.mark.slow
@LONG
@given(st.data())
def test_fuzz_mutated_scenario_long(data):
    _check_mutation(data)


@pytest.mark.slow
@LONG
@given(documents)
def test_fuzz_documents_long(doc):
    _check_document(doc)


def test_fuzz_strategies_reach_the_loader():
    """The fuzz inputs are not all refused at the first character: a valid scenario and valid
    documents come out of the same pipeline (so the properties above test the deep loader too)."""
    assert simulator.load_text(BASE, "hub.yaml").scenario.name
    assert math.isfinite(target_from_document({"depth1_share": 0.5}, "<t>").depth1_share or 0)
