"""``python -m torchlet train``: the same as the ``torchlet`` command."""

import sys

from torchlet.cli import main

if __name__ == "__main__":
    sys.exit(main())
