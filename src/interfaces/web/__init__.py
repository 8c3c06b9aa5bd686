"""Pages people look at, served beside the ``/v1`` API (never under it): the landing page at
``/``, the operations console at ``/console`` and their assets at ``/static``.

Server-rendered Jinja templates, enhanced by htmx (pinned from PyPI, served by us: no CDN).
Pages call the same use cases as ``/v1`` through the container: no second copy of a rule.
"""
