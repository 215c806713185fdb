import pytest
from nats.js.api import RetentionPolicy, StorageType

from canonical_model import subjects
from messaging.streams import ALL_STREAMS, COMMANDS, DEAD_LETTERS, EVENTS, StreamPolicy

pytestmark = pytest.mark.unit


def test_every_gxp_subject_family_has_exactly_one_stream() -> None:
    covered = [s for spec in ALL_STREAMS for s in spec.subjects]
    assert sorted(covered) == sorted(
        [subjects.ALL_EVENTS, subjects.ALL_COMMANDS, subjects.ALL_DEAD_LETTERS, subjects.ALL_AUDIT,
         subjects.ALL_TRANSFER]
    )
    assert len({spec.name for spec in ALL_STREAMS}) == len(ALL_STREAMS)


def test_streams_are_file_backed_with_a_duplicate_window() -> None:
    policy = StreamPolicy(max_age_days=7, duplicate_window_seconds=120, replicas=3)
    for spec in ALL_STREAMS:
        config = spec.config(policy)
        assert config.storage is StorageType.FILE
        assert config.duplicate_window == 120
        assert config.num_replicas == 3
        assert config.retention is RetentionPolicy.LIMITS  # commands are read by adapter and audit writer


def test_dead_letters_outlive_ordinary_traffic() -> None:
    policy = StreamPolicy(max_age_days=7)
    assert DEAD_LETTERS.config(policy).max_age > EVENTS.config(policy).max_age
    assert COMMANDS.config(policy).max_age == 7 * 86_400


@pytest.mark.parametrize(
    ("build", "args", "expected"),
    [
        (subjects.event_subject, ("lims", "test_result_recorded"), "gxp.evt.lims.test_result_recorded"),
        (subjects.command_subject, ("erp", "release_lot"), "gxp.cmd.erp.release_lot"),
        (subjects.commands_for, ("mes",), "gxp.cmd.mes.>"),
        (subjects.dead_letter_subject, ("lims",), "gxp.dlq.lims"),
        (subjects.audit_subject, ("qms",), "gxp.audit.qms"),
    ],
)
def test_subject_builders(build, args, expected) -> None:  # type: ignore[no-untyped-def]
    assert build(*args) == expected


@pytest.mark.parametrize("bad", ["LIMS", "lims.x", "lims*", "", "1lims", "lims >"])
def test_subject_tokens_must_be_snake_case(bad: str) -> None:
    with pytest.raises(ValueError, match="snake_case"):
        subjects.event_subject(bad, "x")
