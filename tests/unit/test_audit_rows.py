"""What an audit row keeps of a summary (masked, storable JSON), and the journal's ``by`` field."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from application.audit import AuditContext
from domain.inventory import HoldStatus
from infrastructure.inventory.redis_codec import decode_by, encode_by
from infrastructure.persistence.audit import masked_summary, ordered_id


def test_summaries_are_masked_and_made_plain_json() -> None:
    ident = UUID("12345678-1234-5678-1234-567812345678")
    summary = {
        "contact_email": "jane.doe@example.com",
        "customer_ref": "card 4242 4242 4242 4242, mail bob@example.org",
        "name": "Jane Doe",
        "phone": "+33 6 12 34 56 78",
        "secret": "whsec_abcdefghijkl",
        "status": HoldStatus.RELEASED,
        "hold_id": ident,
        "at": datetime(2030, 1, 1, tzinfo=UTC),
        "note": "a\x00b",  # a NUL: Postgres would refuse the row
        "lines": [{"pool_id": ident, "quantity": 2}],
    }
    assert masked_summary(summary) == {
        "contact_email": "j***@example.com",
        "customer_ref": "card **** **** **** 4242, mail b***@example.org",
        "name": "***",
        "phone": "***",
        "secret": "***",
        "status": "released",
        "hold_id": str(ident),
        "at": "2030-01-01T00:00:00+00:00",
        "note": "a\\x00b",
        "lines": [{"pool_id": str(ident), "quantity": 2}],
    }
    assert masked_summary(None) is None


def test_the_journal_by_field_round_trips_and_never_fails_an_entry() -> None:
    who = AuditContext("key:11111111-1111-1111-1111-111111111111", "staff", ip="10.0.0.7", correlation_id="c-1")
    assert decode_by(encode_by(who)) == who
    anonymous = AuditContext("anonymous", "anonymous")
    assert decode_by(encode_by(anonymous)) == anonymous
    for unreadable in (None, "", "staff key:1", "a b c d e"):
        assert decode_by(unreadable) is None


def test_ids_of_one_process_grow_in_the_order_rows_are_recorded() -> None:
    ids = [ordered_id() for _ in range(1000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
