"""`python -m service.cli`: the `optiscope` command."""

import sys

from . import main

sys.exit(main())
