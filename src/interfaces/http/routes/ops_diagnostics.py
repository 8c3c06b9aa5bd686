"""/v1/ops diagnostics: which build is running, and how its setup looks from the inside."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import State

from infrastructure.diagnostics import EnvSanity, VersionReport, env_sanity, version_report
from interfaces.http.openapi import problems


class DiagnosticsController(Controller):
    path = "/"
    tags = ["ops"]

    @get("/version", responses=problems("forbidden"))
    async def version(self, state: State) -> VersionReport:
        """The package version, the commit it was built from, and the migration revisions."""
        container = state.container
        return await version_report(container.core.build_info(), container.gateways.database())

    @get("/env-sanity", responses=problems("forbidden"))
    async def env_sanity(self, state: State) -> EnvSanity:
        """The settings (secrets masked), each dependency, the migrations and the periodic jobs
        failing round after round: always 200, with ``status`` "degraded" when something is off;
        /health/ready is the one that answers 503."""
        container, gateways = state.container, state.container.gateways
        head = container.core.build_info().migration_head
        return await env_sanity(state.settings, gateways.database(), gateways.redis(), head, gateways.job_rounds())
