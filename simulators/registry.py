"""Which simulator class plays which system; imported lazily so one system's libraries load only when used."""

from __future__ import annotations

import importlib

from simulators.common.base import SimContext, Simulator

SYSTEMS = ("deltav", "lims", "qms", "mes", "erp")

_CLASSES = {
    "deltav": "simulators.deltav.server:DeltaVSimulator",
    "lims": "simulators.lims.server:LimsSimulator",
    "qms": "simulators.qms.server:QmsSimulator",
    "mes": "simulators.mes.server:MesSimulator",
    "erp": "simulators.erp.server:ErpSimulator",
}


def simulator_class(system: str) -> type[Simulator]:
    if system not in _CLASSES:
        raise ValueError(f"unknown system {system!r}; choose from {', '.join(SYSTEMS)}")
    module, name = _CLASSES[system].split(":")
    cls: type[Simulator] = getattr(importlib.import_module(module), name)
    return cls


def create(system: str, ctx: SimContext) -> Simulator:
    return simulator_class(system)(ctx)
