"""Veilleuse flows."""
