"""Veilleuse spiders/parsers."""
