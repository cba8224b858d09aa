"""``python -m simulator.cli`` runs the ``propsim`` command line."""

import sys

from simulator.cli.entry import main

sys.exit(main())
