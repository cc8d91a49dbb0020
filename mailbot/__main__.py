import gc
import sys

# The imports make ~90,000 objects that live as long as the process, and little garbage:
# the collector would walk them some 240 times while they load. Collected once instead, and
# kept out of every later collection (gc.freeze) -- the rule files' and templates' start-up
# then walks only its own objects.
gc.disable()
from mailbot.cli import main

gc.collect()
gc.freeze()
gc.enable()
sys.exit(main())
