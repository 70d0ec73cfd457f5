"""The small chain of units the units tests share: two departments serving one open stream."""


def chain(count=4, **vary) -> dict:
    """Two departments serving one open stream; a short year so units run quickly."""
    return {
        "name": "chain", "time_unit": "hour", "horizon": 400, "warmup": 80, "period": 40,
        "departments": {
            "front": {"headcount": 4, "services": {"serve": {"time": {"dist": "exponential", "mean": 1.0}}}},
            "back": {"headcount": 2, "services": {"file": {"time": {"dist": "exponential", "mean": 0.5}}}},
        },
        "segments": {"walkins": {"arrivals": {"rate": 2.0}, "journey": ["front.serve", "back.file"], "expectation": 2.0}},
        "morale": {"enabled": True},
        "measures": {"engagement": True, "productivity": True},
        "units": {"count": count, "vary": vary or {
            "segments.*.arrivals.rate": {"multiply": {"dist": "lognormal", "mean": 1.0, "cv": 0.2}},
            "departments.*.skill": {"dist": "uniform", "low": 0.8, "high": 1.2},
            "morale.load_effect": {"dist": "triangular", "low": 1.0, "mode": 2.0, "high": 4.0},
        }, "correlate": [["firm.engagement", "external.nps"]]},
    }
