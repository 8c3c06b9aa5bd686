"""Run localstripe, a Stripe API look-alike, for the tests: ``python tests/localstripe_main.py PORT``.

localstripe's own entry point listens on every interface and pickles its whole store to
/tmp/localstripe.pickle after each write, a file shared by every run on the machine (and read
back at start-up). Here it listens on loopback only and keeps everything in memory.
"""

from __future__ import annotations

import sys

from aiohttp import web
from localstripe import resources, server


def main(port: int) -> None:
    resources.Store.dump_to_disk = lambda self: None  # type: ignore[method-assign]
    web.run_app(server.app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    main(int(sys.argv[1]))
