"""`python -m mailbot` and the installed `mailbot` command (pyproject's [project.scripts])."""

import gc
import sys


def entry() -> int:
    """Load mailbot and run the command line.

    The imports make ~90,000 objects that live as long as the process, and little garbage:
    the collector would walk them some 240 times while they load. Collected once instead,
    and kept out of every later collection (gc.freeze): the rule files' and templates'
    start-up then walks only its own objects."""
    gc.disable()
    try:
        from mailbot.cli import main
    finally:
        gc.collect()
        gc.freeze()
        gc.enable()
    return main()


if __name__ == "__main__":
    sys.exit(entry())
