"""`--ray local` starts a Ray instance of its own, even where a `ray start` cluster runs (a bare
ray.init joins the last cluster started on the machine); `auto` joins that cluster."""

from __future__ import annotations

import sys
import types

import pytest

from mmem.batch.runners import connect_ray


class FakeRay(types.ModuleType):
    def __init__(self, running: bool) -> None:
        super().__init__("ray")
        self.running, self.calls = running, []

    def init(self, address=None, **kwargs):
        self.calls.append(address)
        if address == "auto" and not self.running:
            raise ConnectionError("no running cluster")

    def cluster_resources(self):
        return {"CPU": 2.0}

    def nodes(self):
        return [{"Alive": True}]


@pytest.mark.parametrize("running", [True, False], ids=["beside-a-cluster", "alone"])
def test_local_starts_its_own_instance(monkeypatch, running):
    ray = FakeRay(running)
    monkeypatch.setitem(sys.modules, "ray", ray)
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    connect_ray("local")
    assert ray.calls == ["local"]


def test_auto_joins_a_running_cluster_or_starts_one(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    ray = FakeRay(running=True)
    monkeypatch.setitem(sys.modules, "ray", ray)
    connect_ray("auto")
    assert ray.calls == ["auto"]
    ray = FakeRay(running=False)
    monkeypatch.setitem(sys.modules, "ray", ray)
    connect_ray("auto")
    assert ray.calls == ["auto", "local"]
