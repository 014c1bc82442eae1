"""`python -m flowmetal.interpreter`: run one interpreter process (see service.py)."""

import sys

from flowmetal.interpreter.service import main

sys.exit(main())
