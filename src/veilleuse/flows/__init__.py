"""Prefect flows: thin orchestration over `veilleuse.watch`. Prefect is imported only here."""
