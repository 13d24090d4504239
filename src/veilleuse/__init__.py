"""Veilleuse: economic watch and grouped bids for the social and solidarity economy."""

__version__ = "0.1.0"
