"""Veilleuse config."""
