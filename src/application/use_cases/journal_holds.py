"""Journal the Redis engine's holds into the system of record, a batch at a time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from uuid import UUID

from application.audit import hold_summary, system_context
from application.ports.clock import Clock
from application.ports.jobs import DeadLetterStore, RefusedItem
from application.ports.journal import PLACED, HoldJournalSource, JournaledHold, JournalEntry, UnreadableEntry
from application.ports.repositories import UnitOfWork, UnitOfWorkFactory
from application.use_cases.expire_holds import EXPIRY
from application.use_cases.item_dead_letters import ItemDeadLetters
from domain.inventory import HOLD_TRANSITIONS, Hold, HoldStatus

DEFAULT_BATCH = 500
JOB = "journal_holds"


class JournalHoldsHandler:
    """Rules:

    * each listing's entries are applied in stream order, after the listing's cursor, ``batch``
      at a time; a batch's rows and the cursor's move commit in one transaction, so a crash
      between batches reads the unfinished batch again and never applies an entry twice;
    * a ``placed`` entry writes the hold's row (a hold already journaled is left as it is); any
      other entry moves the row to its status if the hold transition table allows the move, so
      applying an entry again, or one whose hold is unknown (its ``placed`` entry was lost to
      the stream's length cap), changes nothing;
    * one hold the system of record refuses for what it holds (a NUL in its customer reference,
      from before the edge refused such text) never stops the journal: the batch is written
      without it, it becomes a dead letter of ``journal_holds`` naming the listing, hold and
      stream entry, and the cursor moves past it; its later entries find no row and change
      nothing, and reconciliation reports its units as drift;
    * an entry that cannot be read at all (corrupt, foreign) is dead-lettered and passed over;
    * with ``trim``, entries behind the cursor are removed from the stream after the commit;
    * engines without a journal (SQL, memory) have nothing to read: the call does nothing;
    * the holds' placings, releases and expiries are audited here, in the batch's transaction
      (the hold path itself never touches the system of record): one audit row per entry that
      moved a hold, attributed to who asked (the entry's ``by``; an expiry is the system's) at
      the entry's time. An entry applied again moves nothing, so it is audited once.

    Returns the number of entries journaled.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        source: HoldJournalSource | None,
        clock: Clock,
        dead_letters: DeadLetterStore,
        *,
        trim: bool = True,
    ) -> None:
        self._uow, self._source, self._clock, self._trim = uow, source, clock, trim
        self._refused = ItemDeadLetters(dead_letters, clock, JOB)

    async def __call__(self, batch: int = DEFAULT_BATCH, listing_ids: Sequence[UUID] | None = None) -> int:
        if self._source is None:
            return 0
        listings = await self._source.journal_listings() if listing_ids is None else listing_ids
        return sum([await self._drain(self._source, listing_id, batch) for listing_id in listings])

    async def _drain(self, source: HoldJournalSource, listing_id: UUID, batch: int) -> int:
        journaled = 0
        while True:
            async with self._uow() as uow:
                entries = await source.read_journal(listing_id, await uow.hold_journal.cursor(listing_id), batch)
                if not entries:
                    return journaled
                await self._apply(uow, [entry for entry in entries if isinstance(entry, JournalEntry)])
                await self._letter_unreadable([entry for entry in entries if isinstance(entry, UnreadableEntry)])
                await uow.hold_journal.advance(listing_id, entries[-1].entry_id, self._clock.now())
                await uow.commit()
            journaled += len(entries)
            if self._trim:
                await source.trim_journal(listing_id, entries[-1].entry_id)
            if len(entries) < batch:
                return journaled

    async def _apply(self, uow: UnitOfWork, entries: Sequence[JournalEntry]) -> None:
        known = await uow.hold_journal.get(sorted({entry.hold_id for entry in entries}))
        changed, moves = _fold(entries, known)
        await _audit(uow, moves)
        refused = await uow.hold_journal.save([changed[hold_id] for hold_id in sorted(changed)])
        for item in refused:  # recorded before the commit; a re-read batch letters it again, as the same letter
            entry = next(entry for entry in entries if str(entry.hold_id) == item.ident)
            args = {"listing_id": str(entry.listing_id), "hold_id": item.ident, "entry_id": entry.entry_id}
            await self._refused.record(item, args)

    async def _letter_unreadable(self, entries: Sequence[UnreadableEntry]) -> None:
        for entry in entries:
            refused = RefusedItem(f"entry {entry.entry_id} of listing {entry.listing_id}", entry.reason)
            await self._refused.record(refused, {"listing_id": str(entry.listing_id), "entry_id": entry.entry_id})


def fold(entries: Sequence[JournalEntry], known: Mapping[UUID, JournaledHold]) -> dict[UUID, JournaledHold]:
    """The holds ``entries`` change, in their new state, starting from ``known``."""
    return _fold(entries, known)[0]


def _fold(
    entries: Sequence[JournalEntry], known: Mapping[UUID, JournaledHold]
) -> tuple[dict[UUID, JournaledHold], list[tuple[JournalEntry, Hold]]]:
    """``fold``, and each entry that moved a hold with the hold as it moved it."""
    state = dict(known)
    changed: dict[UUID, JournaledHold] = {}
    moves: list[tuple[JournalEntry, Hold]] = []
    for entry in entries:
        moved = _applied(entry, state.get(entry.hold_id))
        if moved is not None:
            state[entry.hold_id] = changed[entry.hold_id] = moved
            moves.append((entry, moved.hold))
    return changed, moves


# Journal events the audit log records, by the action it names them (confirming and cancelling
# are a booking's, audited with the booking's own write).
_AUDITED = {PLACED: "hold.place", HoldStatus.RELEASED.value: "hold.release", HoldStatus.EXPIRED.value: "hold.expire"}


async def _audit(uow: UnitOfWork, moves: Sequence[tuple[JournalEntry, Hold]]) -> None:
    for entry, hold in moves:
        action = _AUDITED.get(entry.event)
        if action is None:
            continue
        who = entry.by or (EXPIRY if entry.event == HoldStatus.EXPIRED.value else system_context("hold_journal"))
        summary = hold_summary(hold) if entry.event == PLACED else {"status": hold.status}
        await uow.audit.record(
            action, "hold", hold.id, after=summary, tenant_id=hold.tenant_id, context=who, at=entry.at
        )


def _applied(entry: JournalEntry, current: JournaledHold | None) -> JournaledHold | None:
    if entry.event == PLACED:
        if current is not None or entry.hold is None:
            return None
        return JournaledHold(replace(entry.hold, status=HoldStatus.ACTIVE), entry.at)
    target = HoldStatus(entry.event)
    if current is None or target not in HOLD_TRANSITIONS[current.hold.status]:
        return None
    return JournaledHold(replace(current.hold, status=target), entry.at)
