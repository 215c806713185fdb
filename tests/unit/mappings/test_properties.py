"""Property-based: whatever arrives, the engine maps it or raises its own TranslationError."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mappings.engine.catalog import Catalog, load_catalog
from mappings.engine.errors import TranslationError

pytestmark = pytest.mark.unit
CATALOG: Catalog = load_catalog()

_field = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n|"), max_size=12)
_segment_id = st.sampled_from(["PID", "ORC", "OBR", "OBX", "NTE", "SPM", "ZZZ", "TQ1"])
_segment = st.builds(lambda sid, fields: "|".join([sid, *fields]), _segment_id, st.lists(_field, max_size=20))
_header = st.builds(
    lambda kind, version, ctrl: f"MSH|^~\\&|A|B|C|D|20261122||{kind}|{ctrl}|P|{version}",
    st.sampled_from(["ORU^R01", "OML^O21", "ORM^O01", "ADT^A01", "", "ORU"]),
    st.sampled_from(["2.5.1", "2.3", "", "9"]), _field,
)


def _attempt(raw: bytes) -> None:
    try:
        for translation in CATALOG.select("lims", raw).translate(raw):
            assert translation.key and translation.mapping.startswith("lims/")
    except TranslationError as exc:
        assert str(exc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.builds(lambda h, segs, sep: sep.join([h, *segs]), _header, st.lists(_segment, max_size=12),
                 st.sampled_from(["\r", "\n", "\r\n"])))
def test_hl7_shaped_input_never_crashes_the_engine(text: str) -> None:
    _attempt(text.encode())


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_engine(raw: bytes) -> None:
    _attempt(raw)
