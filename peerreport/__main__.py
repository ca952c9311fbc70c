"""`python -m peerreport` runs the command line."""

from peerreport.cli.main import main

main()
