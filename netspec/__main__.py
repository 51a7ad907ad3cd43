"""`python -m netspec`: the same command as `netspec`."""

from netspec.cli import main

main()
