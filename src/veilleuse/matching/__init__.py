"""Matching: actors × notices → explained matches, grouped-bid suggestions, evaluation, tuning."""
