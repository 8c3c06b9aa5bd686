"""HTTP benchmark of the rush path (issue 9): ``make bench-http`` = ``python -m benchmarks.http``.

One run starts the pieces it needs (throwaway Postgres and Redis from tests/servers.py, then
``holdfast migrate``, ``holdfast create-tenant`` and ``holdfast serve`` processes with HOLDFAST_*
settings, as a user would) and measures, under the same load shapes:

* ``noop``: the raw ASGI ceiling (benchmarks/http/noop_app.py: msgspec decode, 201 JSON) under
  the server program ``holdfast serve`` uses (``--server``), one process a port;
* ``health``: ``GET /health/live``, our app's cheapest route (production profile);
* ``queue-join``, ``queue-status``: the waiting room (``benchmarks/http/queue.py``);
* ``holds-redis``, ``soldout`` (every answer a 409), ``bookings`` (free listing),
  ``fill`` (hold latency with 1, 100k and 1M active holds in Redis): production profile,
  redis engine;
* ``holds-sql-pg``: the sql engine on Postgres; ``holds-sqlite`` (and ``health-sqlite``): the
  embedded default, one process;
* ``quotes`` (production profile) and ``quotes-sqlite`` (embedded): ``POST /v1/quotes`` of a
  listing with a price plan of every kind of rule (priced, stored, nothing held; target p99 < 20 ms).

Each target is measured closed-loop (wrk, fixed connections) and open-loop (a constant
arrival rate, latency from each request's due time), and its requests/s is read against the
ceiling measured in the same run (same loop, same number of processes). See RESULTS.md.
"""
