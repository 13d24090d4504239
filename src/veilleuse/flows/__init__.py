"""Prefect flows: thin orchestration over `veilleuse.app`. Prefect is imported only here."""
