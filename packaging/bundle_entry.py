"""The bundle's entry point: the same dispatcher as the ``artstudio`` command."""

import multiprocessing
import sys

from artstudio.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()     # a frozen child process must not re-run the app
    sys.exit(main())
