"""Page routes: each module defining `router` (an APIRouter) is included by `create_app`.

Conventions for a new module:
- `router = APIRouter(include_in_schema=False)` (pages stay out of the API's OpenAPI schema);
- guard each page with `Depends(require(Permission.X))` or `CurrentUser` from `web.deps`;
- POST forms include `<input type="hidden" name="csrf_token" value="{{ csrf_token }}">`
  (the check itself is app-wide) and answer with a 303 redirect after success;
- optional `NAVIGATION = [NavItem("Label", "/path", Permission.X, order=20)]` for the bar;
- render with `web.templating.render(request, "folder/page.html", **values)`.
"""
