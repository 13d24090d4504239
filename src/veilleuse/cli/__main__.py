"""`python -m veilleuse.cli`: the same command line as the `veilleuse` script."""

from veilleuse.cli import main

main()
