"""``python -m orgsim.cli``: the same as the `orgsim` command."""

import sys

from orgsim.cli.main import main

sys.exit(main())
