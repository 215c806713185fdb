"""The CLI contract of the foundation, through real processes: up, demo, dlq list, schema export."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from canonical_model.registry import message_types
from messaging.connection import connect
from messaging.dead_letters import DeadLetter, send_to_dead_letters
from messaging.publisher import Publisher
from tests.support.cli import Background, processes_mentioning, run

pytestmark = pytest.mark.e2e


def test_version_and_bad_arguments() -> None:
    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("gxplink ")
    bad = run("up", "--no-such-option")
    assert bad.returncode == 2 and "Usage" in bad.stderr


def test_up_serves_streams_until_sigterm_and_dlq_list_works_beside_it(tmp_path: Path) -> None:
    data, endpoints_file = tmp_path / "up", tmp_path / "endpoints.json"
    stack = Background("up", "--data-dir", str(data), "--endpoints-file", str(endpoints_file), log_dir=tmp_path)
    try:
        endpoints = stack.wait_for_endpoints(endpoints_file, ("nats",))

        async def inspect() -> set[str]:
            nc = await connect(endpoints["nats"], "e2e-probe")
            js = nc.jetstream()
            subjects = {s for info in await js.streams_info() for s in info.config.subjects or []}
            letter = DeadLetter.of("lims", "MSH-9: unsupported message type ZZZ^Z01", b"MSH|^~\\&|...")
            await send_to_dead_letters(Publisher(js), letter)
            await nc.close()
            return subjects

        subjects = asyncio.run(inspect())
        assert {"gxp.evt.>", "gxp.cmd.>", "gxp.dlq.>", "gxp.audit.>"} <= subjects

        listed = run("dlq", "list", "--format", "json", "--data-dir", str(data))
        assert listed.returncode == 0, listed.stderr
        letters = json.loads(listed.stdout)
        assert [x["reason"] for x in letters] == ["MSH-9: unsupported message type ZZZ^Z01"]
        assert stack.proc.poll() is None  # the listing attached to the running server, not a second one
    finally:
        code = stack.stop()
    assert code == 0, stack.log()
    assert processes_mentioning(str(data)) == []


def test_schema_export_writes_valid_schemas_and_an_asyncapi_document(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = run("schema", "export", str(out))
    assert result.returncode == 0, result.stderr
    files = sorted(out.glob("*.schema.json"))
    assert len(files) == len(message_types()) >= 15
    for f in files:
        jsonschema.Draft202012Validator.check_schema(json.loads(f.read_text()))
    asyncapi = yaml.safe_load((out / "asyncapi.yaml").read_text())
    assert asyncapi["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in asyncapi["channels"].values()}
    assert addresses == {cls.subject() for cls in message_types()}
