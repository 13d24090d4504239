"""The JSON API for partners, under `/api/v1` (token-authenticated, problem+json errors).

- `deps`: the bearer-token user, permissions (the pages' table), the cursor key;
- `params`: the search page's query parameters, read by `app.search_params`, and their OpenAPI
  description; `cursors`: signed opaque cursors; `problems`: 400s naming each parameter and the
  documented error responses; `schemas`: response models; `convert`: reports → models;
- `routes/`: one module per resource, each with a `router` the web shell includes;
  `routes/docs.py` serves interactive documentation at `/api/docs` from a PyPI package's
  Swagger UI files (no CDN).

Calls `app/` and `core/` only (checked by `lint-imports`); never `veilleuse.web`.
"""
