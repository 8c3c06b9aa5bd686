"""Domain events as CloudEvents: type, subject and data follow one rule for every event."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from uuid import UUID

import pytest

from domain.events import BookingCancelled, BookingConfirmed, DomainEvent
from infrastructure.persistence.cloudevents import event_data, event_type, outbox_record, structured, subject

BOOKING = UUID("00000000-0000-4000-8000-0000000000b1")
TENANT = UUID("00000000-0000-4000-8000-000000000001")
HOLD = UUID("00000000-0000-4000-8000-0000000000c1")
AT = datetime(2030, 1, 1, 12, tzinfo=UTC)


class Colour(enum.Enum):
    RED = "red"


@dataclass(frozen=True, slots=True)
class ListingPriceChanged(DomainEvent):
    colours: tuple[Colour, ...]
    amount: int


def test_a_booking_event_becomes_a_versioned_type_about_its_booking() -> None:
    event = BookingConfirmed(aggregate_id=BOOKING, tenant_id=TENANT, hold_id=HOLD, at=AT)

    record = outbox_record(event, UUID(int=7), sequence=3)

    assert record["type"] == "holdfast.booking.confirmed.v1"
    assert record["source"] == "/holdfast"
    assert record["subject"] == f"bookings/{BOOKING}"
    assert record["time"] == AT
    assert (record["aggregate_id"], record["tenant_id"], record["sequence"]) == (BOOKING, TENANT, 3)
    assert record["published_at"] is None
    assert record["data"] == {
        "aggregate_id": str(BOOKING),
        "tenant_id": str(TENANT),
        "hold_id": str(HOLD),
        "at": "2030-01-01T12:00:00+00:00",
    }
    assert event_type(BookingCancelled(BOOKING, TENANT, HOLD, AT)) == "holdfast.booking.cancelled.v1"


def test_data_is_plain_json_and_longer_names_keep_the_first_word_as_the_aggregate() -> None:
    event = ListingPriceChanged(BOOKING, TENANT, (Colour.RED,), 5)

    assert event_type(event) == "holdfast.listing.price_changed.v1"
    assert subject(event) == f"listings/{BOOKING}"
    assert json.loads(json.dumps(event_data(event)))["colours"] == ["red"]


def test_an_event_named_by_one_word_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Happened(DomainEvent):
        pass

    with pytest.raises(ValueError, match="Aggregate"):
        event_type(Happened(BOOKING, TENANT))


def test_a_record_reads_as_a_structured_mode_cloudevent() -> None:
    record = outbox_record(BookingConfirmed(BOOKING, TENANT, HOLD, AT), UUID(int=7), sequence=3)

    event = structured(SimpleNamespace(**record))

    assert event["specversion"] == "1.0"
    assert event["id"] == str(UUID(int=7))
    assert event["time"] == "2030-01-01T12:00:00+00:00"
    assert event["datacontenttype"] == "application/json"
    assert (event["tenantid"], event["sequence"]) == (str(TENANT), "3")
    json.dumps(event)
