"""`python -m flowmetal.cli`: the same as the `flowmetal` command."""

from flowmetal.cli import main

main()
