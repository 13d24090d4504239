"""Veilleuse digests."""
