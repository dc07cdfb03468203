#!/usr/bin/env python3
"""Static checker of a Flask repository's middleware practices. Run ``validate.py --help``.

Thin entry point: the code lives in the ``validator`` package next to this file, so the script keeps
working wherever the skill bundle is copied (e.g. ``~/.claude/skills/managing-flask-middleware/``).
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# Cache the package's bytecode even under PYTHONDONTWRITEBYTECODE (compiling it costs ~0.2 s a run);
# a read-only install just skips the write.
sys.dont_write_bytecode = False

from validator.cli import run  # noqa: E402 (needs the sys.path entry above)

if __name__ == "__main__":
    run()
