from __future__ import annotations

import sys

from ionflux.cli import main

sys.exit(main())
