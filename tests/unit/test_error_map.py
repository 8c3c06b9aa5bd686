"""Every domain error has a stable code and an explicit HTTP status."""

from __future__ import annotations

import importlib
import pkgutil

import application
import domain
from domain.errors import DomainError
from interfaces.http.errors import ERROR_STATUS


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_all_subclasses(sub)}
    return found


def _import_everything() -> None:
    for package in (domain, application):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            importlib.import_module(module.name)


def test_every_domain_error_class_is_mapped_explicitly() -> None:
    _import_everything()
    errors = _all_subclasses(DomainError) | {DomainError}
    unmapped = sorted(cls.__name__ for cls in errors if cls not in ERROR_STATUS)
    assert unmapped == []
    # Client errors, but for a provider outage and lost inventory state: not the client's
    # fault, and retryable.
    servers = {cls.__name__ for cls, status in ERROR_STATUS.items() if not 400 <= status < 500}
    assert servers == {"PaymentProviderUnavailableError", "InventoryUnavailableError"}


def test_codes_are_unique_snake_case_and_never_inherited_by_accident() -> None:
    _import_everything()
    errors = _all_subclasses(DomainError)
    codes = [cls.code for cls in errors]
    assert all(code.replace("_", "").isalpha() and code.islower() for code in codes)
    assert len(codes) == len(set(codes)), sorted(codes)
