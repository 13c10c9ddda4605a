"""Multi-collector check's pure parts: the chain from configs, and following the span through its tiers."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from otdiag.check import tiers as chain
from otdiag.collector.metrics import Snapshot
from otdiag.collector.targets import CollectorTargets, ExporterTarget
from otdiag.errors import UsageError
from otdiag.model import StepStatus
from otdiag.render.check import chain_lines, chain_paths


def tier(name: str, listen: str, *exports: tuple[str, str], waits: dict[str, float] | None = None) -> chain.Tier:
    exps = [ExporterTarget(eid, "otlp_grpc", ep, secure=False) for eid, ep in exports]
    cfg = CollectorTargets(f"{name}.yaml", otlp_grpc=listen, listens=[listen], exporters=exps,
                           exporter_types={e.id: "otlp" for e in exps}, processor_waits=waits or {},
                           metrics_url=f"http://{name}/metrics")  # fmt: skip
    return chain.Tier(name, cfg)


AGENT = tier("agent", "0.0.0.0:4317", ("otlp/gw", "127.0.0.1:5317"))
GATEWAY = tier("gateway", "127.0.0.1:5317", ("otlp/jaeger", "jaeger:4317"))
GW1 = tier("gw1", "127.0.0.1:5317", ("otlp/jaeger", "jaeger:4317"))
GW2 = tier("gw2", "127.0.0.1:6317", ("otlp/jaeger", "jaeger:4317"))
FANOUT = tier("agent", "0.0.0.0:4317", ("otlp/gw1", "localhost:5317"), ("otlp/gw2", "127.0.0.1:6317"))


def test_the_chain_is_worked_out_from_exporter_targets_and_receivers_in_any_order() -> None:
    c = chain.build([GATEWAY, AGENT])
    assert [t.name for t in c.tiers] == ["agent", "gateway"]
    assert [(h.src, h.exporter, h.dst) for h in c.hops] == [
        ("gateway", "otlp/jaeger", "Jaeger"),
        ("agent", "otlp/gw", "gateway"),
    ]


def test_a_fan_out_to_two_gateways_and_wildcard_listeners() -> None:
    c = chain.build([FANOUT, GW1, GW2])
    assert {(h.src, h.dst) for h in c.hops} == {
        ("agent", "gw1"),
        ("agent", "gw2"),
        ("gw1", "Jaeger"),
        ("gw2", "Jaeger"),
    }
    wild = tier("gateway", "0.0.0.0:4317", ("otlp/jaeger", "jaeger:4317"))
    agent = tier("agent", "0.0.0.0:4317", ("otlp/gw", "gateway.otel.svc:4317"))
    c2 = chain.build([agent, wild])
    assert [(h.src, h.dst) for h in c2.hops] == [("agent", "gateway"), ("gateway", "Jaeger")]


def test_a_cycle_has_no_first_tier() -> None:
    a = tier("a", "127.0.0.1:1", ("otlp", "127.0.0.1:2"))
    b = tier("b", "127.0.0.1:2", ("otlp", "127.0.0.1:1"))
    with pytest.raises(UsageError, match="cycle"):
        chain.build([a, b])


def test_tier_names_come_from_name_equals_path_or_the_file(tmp_path: Path) -> None:
    f = tmp_path / "edge-agent.yaml"
    f.write_text("{}")
    assert chain.tier_name(f"agent={f}", set()) == ("agent", str(f))
    assert chain.tier_name(str(f), set()) == ("edge-agent", str(f))
    assert chain.tier_name(str(f), {"edge-agent"}) == ("edge-agent-2", str(f))


def s(accepted: float = 0, **kw: dict[str, float]) -> Snapshot:
    return Snapshot(accepted={"otlp": 10 + accepted}, **cast("dict[str, Any]", kw))


ZERO = {"agent": s(), "gateway": s(), "gw1": s(), "gw2": s()}


def test_a_span_through_both_tiers_is_delivered_and_only_then_blamed_on_jaeger() -> None:
    c = chain.build([AGENT, GATEWAY])
    after = {"agent": s(1, sent={"otlp/gw": 1}), "gateway": s(1, sent={"otlp/jaeger": 1})}
    trail = chain.analyse(c, ZERO, after, 0.5, final=False)
    assert trail.findings == [] and not trail.definite and trail.delivered
    assert trail.tiers == {"agent": "pass", "gateway": "pass"}
    final = chain.analyse(c, ZERO, after, 15, final=True)
    assert [f.code for f in final.findings] == ["jaeger.not-stored"]
    assert final.lost_at == {"tier": "Jaeger", "hop": "gateway → Jaeger (otlp/jaeger)", "code": "jaeger.not-stored"}


@pytest.mark.parametrize(
    ("after", "code", "tier", "hop"),
    [
        ({"agent": s(refused={"otlp": 1})}, "collector.refusing", "agent", None),
        ({"agent": s(1, incoming={"filter": 1})}, "collector.processor-dropped", "agent", None),
        ({"agent": s(1, send_failed={"otlp/gw": 1})}, "export.failed", "agent", "agent → gateway (otlp/gw)"),
        ({"agent": s(1, sent={"otlp/gw": 1})}, "collector.hop-lost", "gateway", "agent → gateway (otlp/gw)"),
        ({"agent": s(1, queue_size={"otlp/gw": 2}), "gateway": s(refused={"otlp": 1})},
         "collector.refusing", "gateway", "agent → gateway (otlp/gw)"),
        ({"agent": s(1, sent={"otlp/gw": 1}), "gateway": s(1, incoming={"probabilistic_sampler": 1})},
         "collector.processor-dropped", "gateway", None),
        ({"agent": s(1, sent={"otlp/gw": 1}), "gateway": s(1, sent={"debug": 1})},
         "collector.no-trace-backend", "gateway", None),
        ({"agent": s(1, sent={"otlp/gw": 1}), "gateway": s(1, send_failed={"otlp/jaeger": 1})},
         "export.failed", "gateway", "gateway → Jaeger (otlp/jaeger)"),
    ],
)  # fmt: skip
def test_the_tier_and_hop_that_lost_the_span_are_named(
    after: dict[str, Snapshot], code: str, tier: str, hop: str | None
) -> None:
    c = chain.build([AGENT, GATEWAY])
    trail = chain.analyse(c, ZERO, {"gateway": s(), **after}, 4.0, final=False)
    assert trail.definite, trail
    assert trail.lost_at == {"tier": tier, "hop": hop, "code": code}
    first = trail.findings[0]
    assert first.code == code and first.message.startswith(f"{tier}: " if code != "collector.hop-lost" else "agent's")
    if hop:
        assert hop in first.message
    if hop is not None:
        assert trail.hops[hop] == "fail"
    if code.startswith("export."):  # the exporter's hop failed; the tier did its part
        assert trail.tiers[tier] == "pass"
    elif code != "collector.hop-lost":
        assert trail.tiers[tier] == "fail"


def test_a_fan_out_branch_that_lost_its_copy_is_not_the_end_while_the_other_delivered() -> None:
    c = chain.build([FANOUT, GW1, GW2])
    after = {"agent": s(2, sent={"otlp/gw1": 1, "otlp/gw2": 1}), "gw1": s(1, sent={"otlp/jaeger": 1}),
             "gw2": s(1, incoming={"filter/x": 1})}  # fmt: skip
    trail = chain.analyse(c, ZERO, after, 2.0, final=False)
    assert not trail.definite and [f.code for f in trail.findings] == ["collector.processor-dropped"]
    assert trail.lost_at is not None and trail.lost_at["tier"] == "gw2"
    both = {**after, "gw1": s(1, incoming={"filter/x": 1})}
    assert chain.analyse(c, ZERO, both, 2.0, final=False).definite


def test_unreadable_metrics_leave_the_tier_unknown() -> None:
    c = chain.build([AGENT, GATEWAY])
    after = {"agent": s(1, sent={"otlp/gw": 1}), "gateway": None}
    trail = chain.analyse(c, ZERO, after, 4.0, final=False)
    assert trail.findings == [] and trail.unknown == ["gateway"] and trail.tiers["gateway"] == "skip"
    assert not trail.definite


def test_the_chain_is_drawn_one_line_per_path_with_a_mark_per_hop() -> None:
    c = chain.build([FANOUT, GW1, GW2])
    obs = chain.Observer(c, 1.0, None)
    obs.trail = chain.analyse(c, ZERO, {"agent": s(2, sent={"otlp/gw1": 1, "otlp/gw2": 1}),
                                       "gw1": s(1, sent={"otlp/jaeger": 1}), "gw2": s(1, incoming={"filter": 1})},
                              2.0, final=False)  # fmt: skip
    doc = obs.report()
    assert len(chain_paths(doc)) == 2
    lines = chain_lines(doc, StepStatus.PASS, StepStatus.PASS)
    assert "agent [green]✓[/] ─[green]✓[/]─▶ gw1 [green]✓[/] ─[green]✓[/]─▶ Jaeger" in lines[0]
    assert "gw2 [bold red]✗[/] ─[dim]?[/]─▶ Jaeger" in lines[1]
    assert lines[2] == "  [bold]lost in gw2[/] [dim](collector.processor-dropped)[/]"


def test_an_exporter_aimed_where_the_next_tier_does_not_listen_is_the_broken_hop_to_it() -> None:
    moved = tier("gateway", "127.0.0.1:5999", ("otlp/jaeger", "jaeger:4317"))
    c = chain.build([AGENT, moved])
    assert [t.name for t in c.tiers] == ["agent", "gateway"]
    assert [(h.src, h.dst, h.broken) for h in c.hops] == [("agent", "gateway", True), ("gateway", "Jaeger", False)]
    [f] = c.findings()
    assert f.code == "chain.broken-hop" and f.tier == "agent" and f.target == "otlp/gw"
    assert "agent → gateway (otlp/gw)" in f.message and "127.0.0.1:5317" in f.message
    assert "127.0.0.1:5999" in f.hint and "Jaeger" not in f.hint
    # The tier's own port under a name otdiag cannot match (a service name) is the hop, not a break.
    named = tier("agent", "0.0.0.0:4317", ("otlp/gw", "otel-gw.prod.svc:5999"))
    c3 = chain.build([named, moved])
    assert (c3.hops[0].dst, c3.hops[0].broken, c3.findings()) == ("gateway", False, [])
    # A whole chain has nothing to mend, in any order.
    assert chain.build([GATEWAY, AGENT]).findings() == []
    assert chain.build([FANOUT, GW1, GW2]).findings() == []
