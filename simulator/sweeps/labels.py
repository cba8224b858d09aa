"""Sweep metadata for charts and tables: human names of the swept fields and their plausible ranges.

``parameter_labels``: ``{path: {"en": ..., "zh": ...}}`` for every swept field: the parameter's own
``label:`` / ``label_zh:`` when the sweep section gives one, else a name from the field (a relay's
probability is named by its source and target accounts' handles, e.g. ``relays.3.probability`` ->
"official → city relay probability"), else the path itself. ``plausible``: the behaviour
profile's plausible range of each swept field that has one (charts shade it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from simulator.scenario.profiles import DEFAULT_PROFILE, plausible_ranges

# dotted path -> (English, Chinese)
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "topology": ("Matrix", "矩阵结构"),
    "topology.preset": ("Matrix", "矩阵结构"),
    "topology.params.relay_probability": ("Relay probability", "接力转发概率"),
    "behaviour.p0": ("Repost probability p0", "转发概率 p0"),
    "behaviour.p0_promotional": ("Repost probability of promotional posts", "促销内容转发概率"),
    "behaviour.alpha": ("Exposure response alpha", "曝光响应 alpha"),
    "behaviour.beta": ("Exposure response beta", "曝光响应 beta"),
    "behaviour.appeal_sigma": ("Appeal spread (sigma)", "内容吸引力离散度"),
    "behaviour.off_topic_factor": ("Off-topic factor", "非相关话题系数"),
    "behaviour.exposure_half_life": ("Exposure half-life (h)", "曝光半衰期（小时）"),
    "behaviour.commentary_appeal": ("Commentary appeal", "评论转发吸引力"),
    "behaviour.profile": ("Behaviour profile", "行为画像"),
    "fatigue.enabled": ("Fatigue on", "启用疲劳"),
    "fatigue.kappa": ("Fatigue sensitivity kappa", "疲劳敏感度 kappa"),
    "fatigue.load_half_life": ("Load half-life (h)", "负荷半衰期（小时）"),
    "fatigue.w_dup": ("Weight of duplicates", "重复曝光权重"),
    "fatigue.w_irr": ("Weight of irrelevant posts", "无关内容权重"),
    "fatigue.w_promo": ("Weight of promotional posts", "促销内容权重"),
    "fatigue.p_exit_max": ("Highest exit probability", "最高流失概率"),
    "fatigue.q_mute": ("Share of exits that mute", "屏蔽占流失比例"),
    "fatigue.churn_per_day": ("Baseline churn per day", "每日自然流失率"),
    "population.size": ("Population", "人口规模"),
    "graph.mean_followees": ("Followees per user", "人均关注数"),
    "time.horizon": ("Horizon (h)", "模拟时长（小时）"),
    "metrics.effective_reach_threshold": ("Effective-reach threshold", "有效触达阈值"),
}
RELAY_FIELDS: dict[str, tuple[str, str]] = {
    "probability": ("relay probability", "接力转发概率"),
    "off_topic_probability": ("off-topic relay probability", "非相关话题接力转发概率"),
    "latency": ("relay latency (h)", "接力转发延迟（小时）"),
    "variation": ("relay variation", "接力转发改写方式"),
}


def _account_names(loaded: Any) -> dict[str, str]:
    """Account or group id -> its handle (when it names the account, not a ``{i}`` template), else the id."""
    out: dict[str, str] = {}
    for spec in getattr(getattr(loaded, "scenario", None), "accounts", None) or []:
        handle = spec.handle if isinstance(spec.handle, str) and "{" not in spec.handle else None
        out[spec.id] = handle or spec.id
    return out


def _relay_label(path: tuple, doc: Mapping[str, Any], loaded: Any) -> dict[str, str] | None:
    """``relays.N.FIELD`` named by the relay's source and target, from the document's relay N
    (the override's target) or else the loaded scenario's."""
    if len(path) != 3 or path[0] != "relays" or not isinstance(path[1], int) or path[2] not in RELAY_FIELDS:
        return None
    n = path[1]
    relays = doc.get("relays") if isinstance(doc.get("relays"), list) else None
    relay: Any = relays[n] if relays is not None and n < len(relays) else None
    if isinstance(relay, Mapping):
        source, target = relay.get("source"), relay.get("target")
    else:
        sc_relays = getattr(getattr(loaded, "scenario", None), "relays", None) or []
        if n >= len(sc_relays):
            return None
        source, target = sc_relays[n].source, sc_relays[n].target
    if not isinstance(source, str) or not isinstance(target, str):
        return None
    names = _account_names(loaded)
    return relay_field_label(names.get(source, source), names.get(target, target), path[2])


def relay_field_label(source: str, target: str, field: str) -> dict[str, str]:
    """``{"en", "zh"}`` name of a relay's field (a key of :data:`RELAY_FIELDS`) from its two accounts'
    display names: ("@Official", "regional", "probability") -> "@Official → regional relay probability"."""
    en, zh = RELAY_FIELDS[field]
    pair = f"{source} → {target}"
    return {"en": f"{pair} {en}", "zh": f"{pair} {zh}"}


def parameter_label(param: Any, doc: Mapping[str, Any], loaded: Any = None) -> dict[str, str]:
    """``{"en": ..., "zh": ...}`` for one swept parameter (:class:`~simulator.scenario.sweep_spec.Parameter`)."""
    if param.label or param.label_zh:
        en = param.label or param.label_zh
        return {"en": en, "zh": param.label_zh or en}
    relay = _relay_label(tuple(param.path), doc, loaded)
    if relay is not None:
        return relay
    if param.name in FIELD_LABELS:
        en, zh = FIELD_LABELS[param.name]
        return {"en": en, "zh": zh}
    if len(param.path) == 3 and param.path[:2] == ("topology", "params"):
        words = str(param.path[2]).replace("_", " ")
        return {"en": f"Matrix {words}", "zh": f"矩阵参数 {param.path[2]}"}
    return {"en": param.name, "zh": param.name}


def parameter_labels(spec: Any, doc: Mapping[str, Any], loaded: Any = None) -> dict[str, dict[str, str]]:
    """Labels of every swept parameter of ``spec`` (see the module docstring)."""
    return {p.name: parameter_label(p, doc, loaded) for p in spec.parameters}


def profile_name(loaded: Any) -> str:
    """The scenario's ``behaviour.profile`` when the schema has that field and it is set, else the default."""
    behaviour = getattr(getattr(loaded, "scenario", None), "behaviour", None)
    name = getattr(behaviour, "profile", None)
    return name if isinstance(name, str) and name else DEFAULT_PROFILE


def plausible(spec: Any, loaded: Any = None) -> dict[str, Any]:
    """``{"profile": name, "ranges": {path: [low, high]}}`` for the swept fields the profile covers."""
    name = profile_name(loaded)
    try:
        ranges = plausible_ranges(name)
    except ValueError:  # a profile this version does not know: nothing to shade
        ranges = {}
    return {
        "profile": name,
        "ranges": {
            p.name: [float(ranges[p.name][0]), float(ranges[p.name][1])] for p in spec.parameters if p.name in ranges
        },
    }
