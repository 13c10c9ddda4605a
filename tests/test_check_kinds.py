"""Decisions read a finding's kind (its hop, proves and origin attributes), never its code or message text."""

from __future__ import annotations

from otdiag import catalogue as c


def test_every_kinds_origin_agrees_with_its_code_family() -> None:
    kinds = c.KINDS
    for code, k in kinds.items():
        family = code.split(".", 1)[0]
        expected = {"config": c.Origin.CONFIG, "fleet": c.Origin.FLEET}.get(family, c.Origin.PROBE)
        assert k.origin is expected, code


def test_the_exporter_kinds_are_hop_failures_and_the_probed_ones_prove_their_cause() -> None:
    kinds = c.KINDS
    for code, k in kinds.items():
        if code.startswith("export."):
            assert k.hop, code
    assert all(k.proves and k.hop for k in c.EXPORT_KINDS.values())
    # What the metrics read is a hop failure, but not proof of its cause on its own.
    for k in (c.EXPORT_STUCK, c.EXPORT_FAILED, c.EXPORT_QUEUE_FULL):
        assert k.hop and not k.proves
    # Inside a tier, not on its hop.
    for k in (c.COLLECTOR_DROPPED, c.COLLECTOR_REFUSING, c.COLLECTOR_TAIL_SAMPLING, c.E2E_NOT_VISIBLE):
        assert not k.hop


def test_a_finding_knows_its_kind_and_its_tier() -> None:
    f = c.COLLECTOR_DROPPED("x")
    assert c.kind_of(f) is c.COLLECTOR_DROPPED and c.COLLECTOR_DROPPED.made(f) and not c.EXPORT_FAILED.made(f)
    assert f.tier is None and f.at("gateway").tier == "gateway"
    assert "tier" not in f.to_json()  # the JSON contract is unchanged: the message names the tier
