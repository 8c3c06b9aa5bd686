"""Let a request through only while its identity and its client address have tokens left."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from application.errors import RateLimitedError
from application.ports.rate_limits import RateDecision, RateLimiter, RateRule

# The route classes a request falls in (interfaces.http.rate_limits decides which), each with
# its own rule (settings: HOLDFAST_RATE_LIMIT_<CLASS>).
ROUTE_CLASSES = ("auth", "holds", "writes", "reads", "queue", "public")


@dataclass(frozen=True, slots=True)
class CheckRateLimit:
    route_class: str
    subject: str | None  # the actor's identity (``Actor.subject``); None on public routes
    client: str  # the client's address, as the edge found it


class CheckRateLimitHandler:
    """A request takes a token from two buckets of its route class's rule: its identity's and its
    client address's (a public route, with no identity yet: the address's alone). It is let
    through only if both have one, and then takes one from each; refused, it takes none and
    raises ``RateLimitedError``, saying when to retry. A class without a rule (turned off) is not
    limited: None. Checked before anything else about the request, so a refusal costs only this.
    """

    def __init__(self, limiter: RateLimiter, rules: Mapping[str, RateRule | None]) -> None:
        self._limiter = limiter
        self._rules = rules

    async def __call__(self, command: CheckRateLimit) -> RateDecision | None:
        rule = self._rules.get(command.route_class)
        if rule is None:
            return None
        decision = await self._limiter.check(self._buckets(command, rule))
        if not decision.allowed:
            raise RateLimitedError(decision)
        return decision

    def known_refusal(self, command: CheckRateLimit) -> RateDecision | None:
        """The refusal the call would raise, when the limiter already knows it with no I/O (a
        bucket that refused and has no token yet); None otherwise, and nothing is counted: the
        request is then checked by the call. What a flood's refusals take (see the port)."""
        rule = self._rules.get(command.route_class)
        return None if rule is None else self._limiter.known_refusal(self._buckets(command, rule))

    @staticmethod
    def _buckets(command: CheckRateLimit, rule: RateRule) -> list[tuple[str, RateRule]]:
        group = command.route_class
        buckets = [(f"{group}:ip:{command.client}", rule)]
        if command.subject is not None:
            buckets.append((f"{group}:{command.subject}", rule))
        return buckets
