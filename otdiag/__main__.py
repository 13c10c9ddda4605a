import sys

from otdiag.cli.main import main

sys.exit(main())
