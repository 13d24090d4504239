"""API routes: each module defining `router` (an APIRouter with prefix `/api/v1` and
`route_class=ProblemRoute`) is included by the web shell's `create_app`.

Conventions: a French summary, a `response_model`, `responses=problem_responses(...)` for every
error the route can answer, the user from `api.deps` (`TokenUser` or `require(Permission.X)`).
"""
