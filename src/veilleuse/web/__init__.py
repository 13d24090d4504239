"""The web application of the watch officer, the network and the actors (FastAPI, Jinja2).

Front end only: it calls `veilleuse.app` use cases and `veilleuse.core` rules, nothing below.
Start with `create_app` in `web/app.py`; add pages as modules of `web/routes/`.
"""
