"""Scenario files: every error class is reported at once, at the right line and field."""

from __future__ import annotations

import pytest

import simulator
from simulator.cli.entry import main
from simulator.scenario.errors import ScenarioError

GOOD = """
name: ok
topology: hub
population: {size: 200000}
"""


def problems(path, **kw):
    with pytest.raises(ScenarioError) as exc:
        simulator.load(path, **kw)
    return exc.value.problems


def test_good_file_loads(scenario_file):
    loaded = simulator.load(scenario_file(GOOD))
    assert loaded.scenario.topology.preset == "hub"
    assert len(loaded.matrix.accounts) == 31


def test_unknown_key_wrong_type_out_of_range_all_at_once(scenario_file):
    path = scenario_file("""
        name: bad
        topology: hub
        population:
          size: 20000
          sise: 3
        behaviour:
          p0: 1.5
          latency: {median: -1}
        fatigue:
          kappa: lots
        """)
    found = {(p.line, p.path): p.message for p in problems(path)}
    assert (5, "population.sise") in found and "unknown field 'sise'" in found[(5, "population.sise")]
    assert "size" in found[(5, "population.sise")]  # lists the expected keys
    assert (7, "behaviour.p0") in found and "less than or equal to 1" in found[(7, "behaviour.p0")]
    assert (8, "behaviour.latency.median") in found
    assert (10, "fatigue.kappa") in found
    assert len(found) == 4


def test_message_format_names_file_line_col_and_field(scenario_file):
    path = scenario_file("name: x\ntopology: hub\npopulation: {size: -5}\n")
    (p,) = problems(path)
    assert str(p).startswith(f"{path}:3:14: population.size: ")


def test_yaml12_semantics(scenario_file):
    # YAML 1.1 would turn `no` into False and `1e-3` into a string.
    loaded = simulator.load(
        scenario_file("""
        name: no
        topology: hub
        population: {size: 200000}
        behaviour: {p0: 1e-3}
        """)
    )
    assert loaded.scenario.name == "no"
    assert loaded.scenario.behaviour.p0 == pytest.approx(0.001)


def test_duplicate_key(scenario_file):
    path = scenario_file("name: a\ntopology: hub\nname: b\n")
    (p,) = problems(path)
    assert p.line == 3 and "duplicate key" in p.message


def test_syntax_error_has_line(scenario_file):
    path = scenario_file("name: a\npopulation: {size: 3\ntopology: hub\n")
    (p,) = problems(path)
    assert p.line is not None and "YAML error" in p.message


def test_no_object_construction(scenario_file):
    path = scenario_file("name: !!python/object/apply:os.system ['echo pwned']\ntopology: hub\n")
    with pytest.raises(ScenarioError):
        simulator.load(path)


def test_dangling_references_and_times(scenario_file):
    path = scenario_file("""
        name: refs
        population: {size: 10000}
        time: {horizon: 48}
        accounts:
          - {id: core, followers: 1000}
          - {id: other, followers: 500, overlap: {ghost: 0.2}}
        relays:
          - {source: core, target: nobody, probability: 0.5}
        campaign:
          - {account: core, at: 50}
          - {account: phantom, at: 1}
        """)
    found = {p.path: (p.line, p.message) for p in problems(path)}
    assert found["accounts.1.overlap.ghost"][0] == 6
    assert found["relays.0.target"][0] == 8 and "unknown account 'nobody'" in found["relays.0.target"][1]
    assert found["campaign.0.at"][0] == 10 and "horizon" in found["campaign.0.at"][1]
    assert found["campaign.1.account"][0] == 11


def test_preset_override_errors_point_at_user_lines(scenario_file):
    path = scenario_file("""
        name: o
        topology: dandelion
        population: {size: 500000}
        accounts:
          - id: sub_running
            followers: abc
        """)
    (p,) = problems(path)
    assert (p.line, p.path) == (6, "accounts.0.followers")


def test_unknown_preset_lists_names(scenario_file):
    (p,) = problems(scenario_file("name: x\ntopology: starfish\n"))
    assert p.line == 2 and "dandelion" in p.message


def test_bad_preset_param(scenario_file):
    path = scenario_file("name: x\ntopology:\n  preset: hub\n  params:\n    regional: -3\n")
    (p,) = problems(path)
    assert p.path == "topology.params.regional" and p.line == 5


def test_memory_refused_up_front(scenario_file):
    path = scenario_file("""
        name: huge
        topology: hub
        population: {size: 50000000}
        graph: {mean_followees: 2000, world: explicit}
        """)
    (p,) = problems(path)
    assert p.path == "population.size" and p.line == 3 and "GB" in p.message


def test_overrides(scenario_file):
    path = scenario_file(GOOD)
    loaded = simulator.load(path, overrides=["behaviour.p0=0.005", "topology=dandelion"])
    assert loaded.scenario.behaviour.p0 == 0.005
    assert loaded.scenario.topology.preset == "dandelion"
    (p,) = problems(path, overrides=["behaviour.p00=1"])
    assert p.source == "--set" and p.path == "behaviour.p00"


def test_not_utf8(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes("name: 万达\n".encode("gbk"))
    (p,) = problems(path)
    assert "UTF-8" in p.message


def test_chinese_handles_and_aliases(scenario_file):
    loaded = simulator.load(
        scenario_file(
            """
        name: 万达
        topology: HUB式
        population: {size: 200000, regions: {武汉: 1, 北京: 1}}
        accounts:
          - {id: official, handle: "@万达电影生活"}
          - {id: regional, handle: "@{region}万达影城"}
        topology_note_is_not_a_field: 1
        """.replace("        topology_note_is_not_a_field: 1\n", "")
        )
    )
    handles = [a.handle for a in loaded.matrix.accounts]
    assert handles[0] == "@万达电影生活" and "@武汉万达影城" in handles


def test_cli_exit_codes(scenario_file, capsys, tmp_path):
    bad = scenario_file("name: x\ntopology: hub\npopulation: {size: 0}\n", "bad.yaml")
    assert main(["validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}:3:" in err and "population.size" in err and "Traceback" not in err
    out = tmp_path / "out"
    assert main(["run", str(bad), "-o", str(out)]) == 1
    assert not out.exists()  # no partial output
    good = scenario_file(GOOD, "good.yaml")
    assert main(["validate", str(good)]) == 0
    assert main(["run", str(tmp_path / "missing.yaml")]) == 1
    assert "cannot read file" in capsys.readouterr().err


def test_schema_command(capsys):
    assert main(["schema"]) == 0
    import json

    schema = json.loads(capsys.readouterr().out)
    assert "population" in schema["properties"]
