import sys

from wanwan.cli import main

sys.exit(main())
