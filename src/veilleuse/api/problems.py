"""Bad parameters as 400 problem details, and the error responses each route documents.

The web shell (`web/errors.py`) already answers every error under `/api/` as
`application/problem+json`: 401 (with `WWW-Authenticate: Bearer`), 403, 404, 422 (invalid
body), 429, 500. What it cannot know is that a bad *query parameter* of the API is a 400 whose
`errors` name each parameter: `ProblemRoute`, the route class of every API router, turns
`BadParameters` and the search codec's `SearchParamsError` into that answer, and refuses a
query parameter the route does not document.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from veilleuse.api.schemas import Problem
from veilleuse.app.search_params import SearchParamsError
from veilleuse.core.errors import ValidationError

#: as in web/errors.py: one namespace for every problem type of the application
PROBLEM_TYPE = "urn:veilleuse:problem:"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class BadParameters(ValidationError):
    """Query parameters the API refuses; `problems` maps each one to its French message.

    A ValidationError, so that one raised outside an API route is still a 422, never a 500.
    """

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("\n".join(self.problems.values()))


def bad_request(problems: Mapping[str, str]) -> JSONResponse:
    """400 problem details naming every refused parameter."""
    body = Problem(
        type=PROBLEM_TYPE + "invalid-parameter",
        title="Requête invalide",
        status=400,
        detail=" ".join(problems.values()),
        errors=[{"field": name, "message": message} for name, message in problems.items()],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=400, media_type=PROBLEM_MEDIA_TYPE
    )


def _query_names(dependant: Dependant) -> set[str]:
    names = {str(f.alias) for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def invalid_body(problems: Mapping[str, str]) -> JSONResponse:
    """422 problem details naming every refused field of a JSON body."""
    body = Problem(
        type=PROBLEM_TYPE + "validation",
        title="Données invalides",
        status=422,
        detail=" ".join(problems.values()),
        errors=[{"field": name, "message": message} for name, message in problems.items()],
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status_code=422, media_type=PROBLEM_MEDIA_TYPE
    )


class ProblemRoute(APIRoute):
    """An API route whose refused parameters (raised by the route or a dependency) are 400s,
    and which refuses a query parameter it does not document (a typo such as `deps=59` would
    otherwise widen the answer silently)."""

    def documented_query(self) -> frozenset[str]:
        """The query parameters the route declares, or describes in `openapi_extra`."""
        extra = (self.openapi_extra or {}).get("parameters", [])
        described = {p["name"] for p in extra if p.get("in") == "query"}
        return frozenset(_query_names(self.dependant) | described)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        known = self.documented_query()

        async def route_handler(request: Request) -> Response:
            unknown = [n for n in dict.fromkeys(request.query_params) if n not in known]
            if unknown:
                return bad_request({n: f"Paramètre inconnu : {n}." for n in unknown})
            try:
                return await handler(request)
            except (BadParameters, SearchParamsError) as exc:
                return bad_request(exc.problems)

        return route_handler


# --------------------------------------------------------------------------- OpenAPI

_DESCRIPTIONS = {
    400: "Paramètre invalide : `errors` nomme chaque paramètre refusé.",
    401: "Jeton absent, invalide, révoqué, ou compte désactivé (`WWW-Authenticate: Bearer`).",
    403: "Le rôle du compte ne permet pas cette opération.",
    404: "Introuvable (ou hors des territoires du compte).",
    422: "Corps JSON ou paramètre de chemin invalide : `errors` nomme chaque champ.",
}


def _problem_schema() -> dict[str, Any]:
    schema = Problem.model_json_schema()
    assert "$defs" not in schema, "Problem must stay flat: its schema is inlined"
    return schema


PROBLEM_SCHEMA = _problem_schema()


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route: each status as problem details (the schema inlined, since
    FastAPI would list a `model` under application/json too)."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
