"""Regular expressions compiled on first use.

Compiling the validator's ~40 patterns costs several milliseconds per run (``re`` parses them in pure
Python), which is a sizeable share of a small repository's scan; many are only needed for some trees
(nginx/Apache configs, requirements files, a logging call with a request ID...). A pattern is compiled
the first time one of its methods is looked up, and the compiled methods then replace the lookup.
"""

from __future__ import annotations

import re

_METHODS = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split", "pattern", "flags")


class LazyPattern:
    def __init__(self, pattern, flags: int = 0):
        self._source = (pattern, flags)

    def __getattr__(self, name):  # only called while the pattern is not compiled yet
        if name not in _METHODS:
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for method in _METHODS:
            setattr(self, method, getattr(compiled, method))
        return getattr(compiled, name)


def lazy(pattern, flags: int = 0) -> LazyPattern:
    return LazyPattern(pattern, flags)
