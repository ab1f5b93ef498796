"""`python -m eval`: see `eval.harness`."""

import sys

from eval.harness import main

sys.exit(main())
