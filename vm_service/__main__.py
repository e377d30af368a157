"""``python -m vm_service``: see cli.py."""

import sys

from .cli import main

sys.exit(main())
