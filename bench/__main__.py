"""`python -m bench` (`make bench`)."""

import sys

from .run import main

sys.exit(main())
