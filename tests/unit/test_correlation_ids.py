"""Fresh correlation ids: 32 hex digits, never repeated in a process nor across forked workers."""

from __future__ import annotations

import os
import re

from interfaces.http.middleware import _fresh


def test_fresh_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = [_fresh() for _ in range(1000)]

    assert all(re.fullmatch(r"[0-9a-f]{32}", ident) for ident in ids)
    assert len(set(ids)) == len(ids)


def test_a_forked_worker_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, to the parent
        os.write(write, _fresh().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    childs = os.read(read, 64).decode()
    os.close(read)

    parents = _fresh()

    assert childs[:16] != parents[:16]  # a prefix of its own, so counters may coincide safely
