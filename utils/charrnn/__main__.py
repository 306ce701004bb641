"""``python -m utils.charrnn train|sample|evaluate ...`` (see :mod:`utils.charrnn.cli`)."""

import sys

from utils.charrnn.cli import cli

sys.exit(cli())
