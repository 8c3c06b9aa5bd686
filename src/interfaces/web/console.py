"""The operations console (``/console``): what ``/v1/ops`` answers in JSON, as pages, for the
admins of the operators' tenant (``ConsoleSignInHandler``). Every page and action calls the
same use case as its ``/v1/ops`` route; nothing here decides a rule.

Signed out, a page redirects to the sign-in form; signed in as anyone else, it is 403. Every
form that changes state carries the CSRF token (the pages' router checks it, ``router.py``).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from application.use_cases.identity.console import ConsoleSignIn
from domain.errors import DomainError
from interfaces.http.audit_context import bind_actor
from interfaces.http.rate_limits import rate_limit_middleware
from interfaces.web import views
from interfaces.web.session import Signed, cleared_cookies, session_cookies, signed_in, with_cookies

LOGIN = "/console/login"
SIGNED = "holdfast_console"  # the request-state key the console's user is kept under
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


async def console_gate(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """before_request of every console page but the sign-in form: redirect the signed-out,
    refuse (403) those the console does not admit."""
    signed = await signed_in(request)
    if signed is None:
        if request.headers.get("hx-request"):  # a poll: htmx sends the whole page to sign in
            return with_cookies(
                Response(None, status_code=204, headers={"HX-Redirect": LOGIN}), cleared_cookies(request)
            )
        return with_cookies(Redirect(LOGIN), cleared_cookies(request))
    if not request.app.state.container.use_cases.console_sign_in().admits(signed.actor):
        return Template("console/refused.html", status_code=403, context={"signed": signed})
    bind_actor(signed.actor)  # the audit rows of a replay name the user who asked
    request.state[SIGNED] = signed
    return None


def _done(request: Request[Any, Any, Any], response: Response[Any]) -> Response[Any]:
    """Every console answer: one whose access token was refreshed hands the new tokens back."""
    signed: Signed = request.state[SIGNED]
    if signed.refreshed is not None:
        with_cookies(response, session_cookies(request, signed.refreshed))
    return response


def _page(request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any) -> Response[Any]:
    context = {"signed": request.state[SIGNED], "section": name, **context}
    return _done(request, Template(name, context=context, status_code=status_code))


def _failed(request: Request[Any, Any, Any], error: DomainError, back: str) -> Response[Any]:
    """An action the use case refused (a letter replayed already: 409; gone: 404)."""
    status = 404 if error.code == "not_found" else 409
    return _page(request, "console/failed.html", status_code=status, error=error, back=back)


class SignInController(Controller):
    path = "/console"

    @get("/login")
    async def form(self) -> Template:
        return Template("console/login.html", context={"error": None})

    @post("/login", status_code=303, middleware=[rate_limit_middleware])  # counted as /v1/auth is
    async def sign_in(self, request: Request[Any, Any, Any], data: Form) -> Response[Any]:
        command = ConsoleSignIn(data.get("email", ""), data.get("password", ""))
        try:
            session = await request.app.state.container.use_cases.console_sign_in()(command)
        except DomainError as error:
            status = 403 if error.code == "forbidden" else 429 if error.code == "login_locked" else 401
            context = {"error": views.sign_in_error(error.code), "email": command.email}
            return Template("console/login.html", status_code=status, context=context)
        return with_cookies(Redirect("/console"), session_cookies(request, session))

    @post("/logout", status_code=303)
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """Ends the refresh token's family (as ``POST /v1/auth/logout``) and clears both cookies."""
        from interfaces.web.session import REFRESH_COOKIE

        if refresh := request.cookies.get(REFRESH_COOKIE):
            await request.app.state.container.use_cases.logout()(refresh)
        return with_cookies(Redirect("/console/login"), cleared_cookies(request))


class ConsoleController(Controller):
    path = "/console"
    before_request = console_gate

    @get("/")
    async def overview(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return _page(request, "console/overview.html", **await views.overview(request.app.state))

    @get("/live")
    async def live(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The overview's live panel alone, which htmx polls (``hx-trigger="every 10s"``)."""
        return _page(request, "console/live.html", **await views.overview(request.app.state))

    @get("/inventory")
    async def inventory(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return _page(request, "console/inventory.html", **await views.inventory(request.app.state))

    @get("/inventory/live")
    async def inventory_live(self, request: Request[Any, Any, Any]) -> Response[Any]:
        """The inventory chart alone, which htmx polls (``hx-trigger="every 15s"``)."""
        return _page(request, "console/inventory_live.html", **await views.inventory(request.app.state))

    @get("/jobs")
    async def jobs(self, request: Request[Any, Any, Any], replayed: UUID | None = None) -> Response[Any]:
        return _page(request, "console/jobs.html", replayed=replayed, **await views.jobs(request.app.state))

    @post("/jobs/dead-letters/{letter_id:uuid}/replay", status_code=303)
    async def replay_letter(self, request: Request[Any, Any, Any], letter_id: UUID) -> Response[Any]:
        """``POST /v1/ops/jobs/dead-letters/{id}/replay``'s use case; a letter replays once."""
        try:
            await request.app.state.container.use_cases.replay_dead_letter()(letter_id)
        except DomainError as error:
            return _failed(request, error, "/console/jobs")
        return _done(request, Redirect(f"/console/jobs?replayed={letter_id}"))

    @get("/webhooks")
    async def webhooks(self, request: Request[Any, Any, Any], status: str | None = None) -> Response[Any]:
        return _page(request, "console/webhooks.html", **await views.webhooks(request.app.state, status))

    @post("/webhooks/{event_id:str}/replay", status_code=303)
    async def replay_event(self, request: Request[Any, Any, Any], event_id: str) -> Response[Any]:
        """``POST /v1/ops/webhooks/{id}/replay``'s use case."""
        try:
            await request.app.state.container.use_cases.replay_webhook_event()(event_id)
        except DomainError as error:
            return _failed(request, error, "/console/webhooks")
        return _done(request, Redirect("/console/webhooks"))

    @get("/reconciliations")
    async def reconciliations(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return _page(request, "console/reconciliations.html", **await views.reconciliations(request.app.state))

    @get("/system")
    async def system(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return _page(request, "console/system.html", **await views.system(request.app.state))
