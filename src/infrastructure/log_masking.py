"""Masks personal and card data before a log line is written.

Log lines travel further than the database (collectors, dashboards, support tickets), so they
never carry an email address, a customer's name, card data or a secret in full:

* in any text (messages, exception text): email addresses keep their first character and their
  domain (``j***@example.com``), card-number-like runs of 13 to 19 digits (spaces or dashes
  allowed between them) keep their last four, and API keys and secrets keep only their prefix;
* in structured extras (``logger.bind(email=...)``), the value of a sensitive key (``email``,
  ``name``, ``customer_name``, ``card``, ``phone``, ``authorization``, ``api_key``, anything with
  ``secret``, ``password`` or ``token`` in it, ...) is masked whatever it looks like.

Names inside free text cannot be recognised: log them under a key, never in the message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

MASK = "***"
_SECRET_URL_PARAMS = {"password", "pass", "passwd"}
_EMAIL = re.compile(r"(?<![\w.%+-])([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
# Not inside a word, an id or a hex string; "12345678-1234-..." (a UUID's head) never matches
# because a dash or a digit follows any candidate.
_CARD = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
# In a JSON line, a bare number after a key is loguru's own (a thread id has 15 digits); values
# logged by the service were masked by key before they were serialized.
_CARD_IN_JSON = re.compile(r'(?<![\w-])(?<!": )\d(?:[ -]?\d){12,18}(?![\w-])')
# The prefix says what the secret is (useful when debugging); the rest is the secret.
_SECRET = re.compile(r"\b((?:sk|rk)_(?:live|test)_|whsec_|hf_|Bearer |Basic )[A-Za-z0-9_+/=.-]{6,}")
_CLIENT_SECRET = re.compile(r"(_secret_)[A-Za-z0-9]+")
_SENSITIVE_KEYS = frozenset(
    {"email", "name", "customer_name", "full_name", "first_name", "last_name", "cardholder", "pan", "cvc", "cvv"}
    | {"phone", "phone_number", "mobile", "telephone"}  # whole keys: "phone_country" says no one's number
)
_SENSITIVE_PARTS = (
    "email",
    "card",
    "authorization",
    "api_key",
    "apikey",
    "secret",
    "password",
    "token",
    "cookie",
)


_CARD_DIGITS = 13
_PLAIN = frozenset({int, float, bool, type(None)})
_SCALARS = _PLAIN | {str}
_NOT_DIGITS = str.maketrans("", "", "0123456789")


def mask_text(text: str, *, json_lines: bool = False) -> str:
    """``text`` with emails, card numbers and secrets masked; everything else untouched.

    ``json_lines``: ``text`` is a serialized log record, whose bare numbers are left alone.
    Each pattern runs only where a plain substring or count says it could match (a regex pass
    costs microseconds per line; every access line is masked).
    """
    if _cannot_match(text):
        return text
    if "@" in text:
        text = _EMAIL.sub(lambda m: f"{m[1]}{MASK}@{m[2]}", text)
    if len(text) - len(text.translate(_NOT_DIGITS)) >= _CARD_DIGITS:
        text = (_CARD_IN_JSON if json_lines else _CARD).sub(_mask_card, text)
    if "_" in text or "Bearer " in text or "Basic " in text:  # every prefix _SECRET knows has one
        text = _SECRET.sub(lambda m: f"{m[1]}{MASK}", text)
    if "_secret_" in text:
        text = _CLIENT_SECRET.sub(lambda m: f"{m[1]}{MASK}", text)
    return text


def _cannot_match(text: str) -> bool:
    r"""True for text no pattern can change: letters, digits and dashes only (no ``@``, no ``_``,
    no space, so no email and no secret's prefix), not all digits. A card-like run must then
    stand between the text's ends (a letter, a digit or a dash next to it rules it out, as
    ``_CARD``'s look-arounds say), and with a letter somewhere it cannot span them. Ids (UUIDs,
    correlation ids) are such text: the usual field of a log line is settled by three string
    methods instead of the patterns' guards. (``isalnum`` is what ``\w`` matches, less ``_``.)"""
    bare = text.replace("-", "")
    return bare.isalnum() and not bare.isdigit()


@lru_cache(maxsize=1024)  # keys are the code's own, and few
def is_sensitive(key: str) -> bool:
    normalized = key.lower().replace("-", "_")
    return normalized in _SENSITIVE_KEYS or any(part in normalized for part in _SENSITIVE_PARTS)


def mask_value(value: Any, *, sensitive: bool = False) -> Any:
    """A copy of a logged value with what it must not show masked (the original is not touched)."""
    kind = type(value)
    if kind is str and not sensitive:  # the common cases first: every line's fields go through here
        return mask_text(value)
    if kind in _PLAIN and not sensitive:
        return value
    if isinstance(value, Mapping):
        return {k: mask_value(v, sensitive=sensitive or is_sensitive(str(k))) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [mask_value(item, sensitive=sensitive) for item in value]
    if sensitive:
        return _mask_sensitive(value)
    return mask_text(value) if isinstance(value, str) else value


def mask_extra(extra: dict[str, Any]) -> None:
    """Masks a loguru record's ``extra`` in place (each record has a dict of its own)."""
    for key, value in extra.items():
        if isinstance(value, str | Mapping | list | tuple | set | frozenset) or is_sensitive(key):
            extra[key] = mask_value(value, sensitive=is_sensitive(key))


def mask_extra_by_key(extra: dict[str, Any]) -> None:
    """What only the keys can tell: ``extra``'s values under sensitive keys, and inside nested
    values, masked in place. Plain text under other keys is left for ``mask_text`` over the
    finished line (the log writer's one pass per batch), not run through the patterns here."""
    for key, value in extra.items():
        if type(value) in _SCALARS and not is_sensitive(key):
            continue  # the usual field (an id, a status): no ABC check against Mapping (slow) needed
        if is_sensitive(key) or isinstance(value, Mapping | list | tuple | set | frozenset):
            extra[key] = mask_value(value, sensitive=is_sensitive(key))


def _mask_sensitive(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    text = str(value)
    if _EMAIL.fullmatch(text):
        return mask_text(text)
    if (card := _CARD.fullmatch(text)) is not None:
        return _mask_card(card)
    return MASK


def _mask_card(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match[0])
    seen = 0
    masked = []
    for char in match[0]:
        if char.isdigit():
            seen += 1
            masked.append(char if seen > digits - 4 else "*")
        else:
            masked.append(char)
    return "".join(masked)


def mask_url(url: str | None) -> str | None:
    """The URL with its password (in the user info or the query) replaced by ***.

    Parsed by hand, not by ``urlsplit``: the URLs masked here are often the malformed ones
    (a missing or wrong scheme, a port that is not a number) a settings error quotes.
    """
    if url is None:
        return None
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    userinfo, at, after = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.partition(':')[0]}:{MASK}@{after}"
    head, question, query = rest.partition("?")
    if question:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if k.lower() in _SECRET_URL_PARAMS else v) for k, v in pairs], safe="*")
        rest = f"{head}?{query}"
    return f"{scheme}{sep}{rest}"
