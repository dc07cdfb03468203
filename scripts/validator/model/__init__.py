"""The project model: every fact the rules need, as plain data.

``pipeline.build_model`` fills it (discovery, parsing once, then the concern scanners in ``scan/``);
rules only read it. Nothing here parses or walks code: ``records`` holds one class per kind of fact,
``project`` the Project that groups them and answers a few questions (which URL a route serves, where
project-wide findings point).
"""

from .project import Project
from .records import (
    SECURITY_HEADERS,
    ConfigAssign,
    ConfigClass,
    Fact,
    HeaderLib,
    HeaderOp,
    KeyFunc,
    LogCall,
    Module,
    RequestIdRead,
    Requirement,
    Route,
    ServedBy,
    ServerConf,
    ViewClass,
)

__all__ = [
    "SECURITY_HEADERS",
    "ConfigAssign",
    "ConfigClass",
    "Fact",
    "HeaderLib",
    "HeaderOp",
    "KeyFunc",
    "LogCall",
    "Module",
    "Project",
    "RequestIdRead",
    "Requirement",
    "Route",
    "ServedBy",
    "ServerConf",
    "ViewClass",
]
