"""Use cases: one function per thing a user or a schedule does, over a `Context`.

Every front end (CLI, Prefect flows, web pages, JSON API) calls these and nothing below them.
"""
