"""One small module per source (or family of sources); the catalogue says which runs what.

Every module docstring has the sections Publisher, Access, Arguments and Caveats
(`veilleuse.spiders.checks.check_sources` enforces it).
"""
