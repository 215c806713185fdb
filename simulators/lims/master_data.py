"""Specifications and test methods the LIMS takes from master file records, checked before anything changes.

A record holds one limit of one specification version (key spec ~ version ~ test) or one test alone (key
test). Approved versions do not change: a limit the LIMS holds for that spec version and test is taken
again as posted when it is the same, and refused (205) when it differs; a record for an older version
than the LIMS holds is refused (206). A test the LIMS does not know needs its method (OM1-14) to be
created (204 otherwise). Limits of the release specification in force (catalog `specification`) are
what results are judged by, so a newer version of it moves the tests' limits; any other specification
is kept for reference, and gives a new test its first limits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from simulators.common.audit import NativeAuditTrail
from simulators.lims.catalog import LIMIT_FIELDS, new_test, typical

METHOD_VERSION = re.compile(r", version (\d+)$")


@dataclass
class Definition:
    """What one master file record says, read from its MFE/OM1/OM2/OM3."""

    change: str  # MFE-2
    code: str
    name: str
    spec: tuple[str, int] | None
    limit: dict[str, Any] | None  # unit, lo, hi, text_spec
    method: dict[str, Any] | None  # id, name, version
    problems: list[tuple[str, str]] = field(default_factory=list)  # (HL7 0357 code, message)


class MasterData:
    def __init__(self, catalog: dict[str, Any], audit: NativeAuditTrail, user: str, reason: str) -> None:
        self.catalog, self.audit, self.user, self.reason = catalog, audit, user, reason

    def check(self, d: Definition) -> str | None:
        """None when the record can be posted; else the HL7 error code (the message is in d.problems)."""
        if d.problems:
            return d.problems[0][0]
        if d.code not in self.catalog["tests"] and d.method is None:
            d.problems.append(("204", f"unknown test {d.code}: send the method that reports it in OM1-14"))
        elif d.spec is not None and d.limit is not None:
            spec_id, version = d.spec
            versions = self.catalog["specifications"].get(spec_id, {}).get("versions", {})
            held = versions.get(str(version), {}).get("limits", {}).get(d.code)
            newest = max(map(int, versions), default=0)
            if version < newest and held is None:
                d.problems.append(("206", f"{spec_id} version {version} is superseded by version {newest}"))
            elif held is not None and held != d.limit:
                d.problems.append(("205", f"{spec_id} version {version} holds other limits for {d.code} "
                                          f"({_shown(held)}); a changed specification needs a new version"))
        return d.problems[0][0] if d.problems else None

    def apply(self, d: Definition) -> None:
        if d.method is not None:
            self._method(d)
        if d.code not in self.catalog["tests"]:
            self.catalog["tests"][d.code] = test = new_test(d.code, d.name, d.limit or {k: None for k in LIMIT_FIELDS})
            self._record("create", "test", d.code, {k: (None, v) for k, v in test.items() if k in LIMIT_FIELDS and v
                                                    is not None} or {"code": (None, d.code)}, d)
        if d.method is not None:
            self._set(self.catalog["tests"][d.code], {"method": d.method["name"], "method_id": d.method["id"]}, d)
        if d.spec is not None and d.limit is not None:
            self._limit(d, *d.spec)

    def _limit(self, d: Definition, spec_id: str, version: int) -> None:
        assert d.limit is not None
        spec = self.catalog["specifications"].setdefault(spec_id, {"id": spec_id, "versions": {}})
        limits = spec["versions"].setdefault(str(version), {"limits": {}})["limits"]
        if d.code not in limits:
            limits[d.code] = dict(d.limit)
            self._record("create", "specification", f"{spec_id}/v{version}/{d.code}",
                         {k: (None, v) for k, v in d.limit.items() if v is not None}, d)
        active = self.catalog["specification"]
        if spec_id == active["id"] and version >= int(active["version"]):
            if version > int(active["version"]):
                self._set(active, {"version": version}, d, "specification", spec_id)
            test = self.catalog["tests"][d.code]
            self._set(test, d.limit, d)
            if _outside(test):
                test["typical"] = typical(test)

    def _method(self, d: Definition) -> None:
        assert d.method is not None
        method, held = d.method, self.catalog["methods"].get(d.method["id"])
        if held is None:
            self.catalog["methods"][method["id"]] = {**method, "analytes": [d.code]}
            self._record("create", "method", method["id"],
                         {"name": (None, method["name"]), "version": (None, method["version"])}, d)
            return
        changes = {k: (held[k], method[k]) for k in ("name", "version") if held[k] != method[k]}
        if d.code not in held["analytes"]:
            changes["analytes"] = (list(held["analytes"]), [*held["analytes"], d.code])
        if changes:
            held.update({k: new for k, (_, new) in changes.items()})
            self._record("update", "method", method["id"], changes, d)

    def _set(self, record: dict[str, Any], values: dict[str, Any], d: Definition, kind: str = "test",
             record_id: str | None = None) -> None:
        changes = {k: (record.get(k), v) for k, v in values.items() if record.get(k) != v}
        if changes:
            record.update(values)
            self._record("update", kind, record_id or d.code, changes, d)

    def _record(self, action: str, kind: str, record_id: str, changes: dict[str, tuple[Any, Any]],
                d: Definition) -> None:
        self.audit.record(self.user, action, kind, record_id, changes, f"{self.reason}, change {d.change}")


def _outside(test: dict[str, Any]) -> bool:
    value = test.get("typical")
    if isinstance(value, str) or value is None:
        return test.get("text_spec") is not None and value != test["text_spec"]
    return (test.get("lo") is not None and value < test["lo"]) or (test.get("hi") is not None and value > test["hi"])


def _shown(limit: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in limit.items() if v is not None) or "none"
