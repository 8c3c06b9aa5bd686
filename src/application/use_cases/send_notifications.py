"""Email customers about their bookings: work off the notifications the relay wrote."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from uuid import UUID

from application.ports.clock import Clock
from application.ports.email import EmailMessage, EmailSender
from application.ports.ids import IdGenerator
from application.ports.jobs import DeadLetterStore
from application.ports.notifications import ClaimedNotification
from application.ports.repositories import UnitOfWorkFactory
from application.use_cases.item_dead_letters import ItemDeadLetters
from application.use_cases.process_webhook_event import describe, new_lease
from domain.money import Money
from domain.notifications import Notification, NotificationKind, NotificationStatus, render
from domain.webhooks import RetryPolicy

BATCH = 50
LEASE_SECONDS = 300  # well over the SMTP client's timeout
MESSAGE_ID_DOMAIN = "holdfast"
JOB = "send_notifications"


class SendNotificationsHandler:
    """Sends up to ``limit`` due notifications, one at a time; returns how many were sent.

    * Each is claimed (leased) just before it is sent, so two workers never send it at once.
    * A booking's emails go out in the order of its events: one is not sent while an earlier
      one of the booking is unsent (due, waiting for a retry, or being sent by another worker),
      whatever the number of workers. Once it is sent, the next one goes in the same run.
    * The email is plain text, rendered from the booking, its listing and the event (a refund
      names what it gave back); amounts are shown in the currency's major units.
    * A failed send is tried again after the retry policy's backoff; after its last allowed
      attempt the notification is ``dead``. Sending is at least once: a crash between the send
      and the record sends it again after the lease, with the same Message-ID.
    * One notification that cannot even be claimed (its row unreadable, say a kind written by
      a newer version) never stops the others: it becomes a dead letter of
      ``send_notifications`` (once, however often it is met) and the round goes on.
    """

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        ids: IdGenerator,
        sender: EmailSender,
        policy: RetryPolicy,
        jitter: Callable[[], float],
        dead_letters: DeadLetterStore,
    ) -> None:
        self._uow, self._clock, self._ids, self._sender = uow, clock, ids, sender
        self._policy, self._jitter = policy, jitter
        self._stuck = ItemDeadLetters(dead_letters, clock, JOB)

    async def __call__(self, limit: int = BATCH) -> int:
        sent = tried = 0
        while tried < limit:  # a pass sends the first of each booking's line; the next pass, the ones after
            async with self._uow() as uow:
                due = await uow.notifications.due(self._clock.now(), limit - tried)
            if not due:
                break
            for notification_id in due:
                args = {"notification_id": str(notification_id)}
                outcome = await self._stuck.run(
                    f"notification {notification_id}", args, partial(self._send, notification_id)
                )
                sent += outcome is NotificationStatus.SENT
            tried += len(due)
        return sent

    async def _send(self, notification_id: UUID) -> NotificationStatus | None:
        claimed = await self._claim(notification_id)
        if claimed is None:
            return None
        notification = claimed.notification
        try:
            await self._sender.send(await self._message(notification))
        except Exception as exc:  # whatever broke, the notification stays queued for a retry
            notification.failed(describe(exc), self._clock.now(), self._policy, self._jitter())
        else:
            notification.sent(self._clock.now())
        async with self._uow() as uow:
            kept = await uow.notifications.finish(notification, claimed.lease)
            await uow.commit()
        return notification.status if kept else None

    async def _claim(self, notification_id: UUID) -> ClaimedNotification | None:
        now = self._clock.now()
        lease = new_lease(self._ids, now, LEASE_SECONDS)
        async with self._uow() as uow:
            claimed = await uow.notifications.claim(notification_id, now, lease)
            await uow.commit()
        return claimed

    async def _message(self, notification: Notification) -> EmailMessage:
        async with self._uow() as uow:
            booking = await uow.bookings.get(notification.tenant_id, notification.booking_id)
            listing = await uow.listings.get(notification.tenant_id, booking.listing_id)
        amount = booking.total
        if notification.kind is NotificationKind.BOOKING_REFUNDED:
            amount = Money(int(notification.data["amount"]), booking.total.currency)  # missing: fail, never "0.00"
        content = render(notification.kind, booking.id, listing.name, amount)
        message_id = f"<{notification.id}@{MESSAGE_ID_DOMAIN}>"
        return EmailMessage(message_id, notification.recipient, content.subject, content.body)
