"""Error pages in the app's style; never a stack trace to a user."""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..db import get_session

MESSAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not allow this."),
    404: ("Not found", "There is nothing here, or it is not yours to see."),
    405: ("Not allowed", "That action is not available here."),
    413: ("Too large", "The upload is larger than allowed."),
    429: ("Slow down", "Too many attempts. Wait a minute and try again."),
    500: ("Something went wrong", "The error has been logged. Nothing you typed was lost."),
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, default = MESSAGES.get(code, ("Error", "Something went wrong."))
    return render_template("errors/error.html", code=code, title=title,
                           message=message or default), code


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(400, "The form expired or was sent from elsewhere. "
                                 "Go back, reload the page and try again.")

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
        # The body was refused unread: any later look at request.form (the page's sign-out
        # button builds a form) would raise 413 again, inside this handler. Nothing of
        # the body is used, so the request gets empty form data.
        request.form = ImmutableMultiDict()  # type: ignore[misc]
        request.files = ImmutableMultiDict()  # type: ignore[misc]
        return render_error(413)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        if _is_api():
            from .api._core import http_problem

            return http_problem(error)
        code = error.code or 500
        # A description given with abort(code, "...") says more than the generic message.
        given = error.description if error.description != type(error).description else None
        return render_error(code, given or MESSAGES.get(code, (None, error.description))[1])

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        # The route pattern, not the path: a path may carry a signed link's token.
        where = request.url_rule.rule if request.url_rule is not None else "(no route)"
        app.logger.exception("Unhandled error on %s %s", request.method, where)
        try:
            get_session().rollback()
        except Exception:  # noqa: BLE001 - the page must render even if the DB is gone
            pass
        if _is_api():
            from .api._core import problem

            return problem(500)
        return render_error(500)


def _is_api() -> bool:
    """A request to the JSON API, answered with problem documents, never pages."""
    return request.path.startswith("/api/")
