"""Veilleuse search."""
