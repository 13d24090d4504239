"""The domain model, pure helpers and the error tree. No I/O, no third-party services."""
