"""``python -m dflow ...``: the ``dflow`` command, for when the console script is not on PATH."""

import sys

from dflow.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
