"""`python -m mlopsctl`: the command line without an installed entry point (a checkout's tools/src on PYTHONPATH)."""

import sys

from mlopsctl.cli import main

sys.exit(main())
