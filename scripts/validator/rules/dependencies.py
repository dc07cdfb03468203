"""DEP001: dependencies pinned or capped below a release that fixes a known advisory."""

from __future__ import annotations

import re

from .registry import hit, rule

# package -> (first fixed version, advisories)
ADVISORIES = {
    "flask-cors": ((6, 0, 1), "CVE-2024-6844, CVE-2024-6866, CVE-2024-6839"),
    "flask": ((3, 1, 3), "CVE-2026-27205"),
}

# The fixed release's own minimums (Requires-Dist in flask-3.1.3.dist-info/METADATA): a project that pins
# these lower cannot install the fix until it raises them too, so the hint names the ones it pins lower.
COMPANIONS = {
    "flask": {
        "werkzeug": ("Werkzeug", (3, 1, 0)),
        "itsdangerous": ("itsdangerous", (2, 2, 0)),
        "blinker": ("blinker", (1, 9, 0)),
        "click": ("click", (8, 1, 3)),
        "jinja2": ("Jinja2", (3, 1, 2)),
        "markupsafe": ("MarkupSafe", (2, 1, 1)),
    },
}
# Flask 2.3 made blinker a requirement: an older Flask's fully pinned set (pip freeze) has no blinker line
NEW_REQUIREMENTS = {"flask": {"blinker": (2, 3, 0)}}


def vtuple(text: str):
    m = re.match(r"\s*v?(\d+(?:\.\d+)*)", text or "")
    if not m:
        return None
    parts = [int(p) for p in m.group(1).split(".")]
    return tuple(([*parts, 0, 0, 0])[:3])


def _bump(parts: list[int]) -> tuple:
    parts = [*parts[:-1], parts[-1] + 1]
    return tuple(([*parts, 0, 0, 0])[:3])


def upper_bound(spec: str, kind: str = "pep508"):
    """(version, inclusive) of the highest version the spec allows, or None when unbounded."""
    bounds = []
    for raw in re.split(r"[,|]", spec or ""):
        s = raw.strip()
        if not s or s == "*":
            continue
        m = re.match(r"^(===|==|<=|>=|~=|!=|<|>|\^|~)?\s*([0-9][0-9A-Za-z.*+-]*)$", s)
        if not m:
            continue
        op, ver = m.group(1) or ("==" if kind in ("poetry", "pipfile") else ""), m.group(2)
        nums = [int(p) for p in re.findall(r"\d+", ver.split("*")[0].rstrip("."))][:3]
        if not nums:
            continue
        if op in ("==", "==="):
            if ver.endswith("*"):
                bounds.append((_bump(nums), False))
            else:
                bounds.append((vtuple(ver), True))
        elif op == "<":
            bounds.append((vtuple(ver), False))
        elif op == "<=":
            bounds.append((vtuple(ver), True))
        elif op == "~=" and len(nums) >= 2:
            bounds.append((_bump(nums[:-1]), False))
        elif op == "^":
            idx = next((i for i, n in enumerate(nums) if n != 0), len(nums) - 1)
            bounds.append((_bump(nums[: idx + 1]), False))
        elif op == "~":
            bounds.append((_bump(nums[:2] if len(nums) >= 2 else nums), False))
    if not bounds:
        return None
    return min(bounds, key=lambda b: (b[0], b[1]))


def allows_only_vulnerable(spec: str, fixed: tuple, kind: str = "pep508") -> bool:
    bound = upper_bound(spec, kind)
    if bound is None:
        return False
    version, inclusive = bound
    return version < fixed if inclusive else version <= fixed


@rule(
    "DEP001",
    "warning",
    "dependency pinned or capped below the release fixing a known advisory",
    fix="Raise the pin (or cap) to at least the first fixed release the message names.",
)
def vulnerable_pin(project):
    for req in project.requirements:
        if any(part in ("doc", "docs") for part in re.split(r"[/._-]", req.path.lower())):
            continue  # requirements-docs.txt, docs/requirements.txt: a documentation build, not deployed
        advisory = ADVISORIES.get(req.name)
        if not advisory:
            continue
        fixed, ids = advisory
        if allows_only_vulnerable(req.spec, fixed, req.kind):
            fixed_s = _v(fixed)
            yield hit(
                (req.path, req.line, 1),
                f"{req.name} {req.spec.strip()} excludes {fixed_s}, the first release fixing {ids}",
                _companion_hint(project, req, fixed_s),
            )


def _v(version: tuple) -> str:
    return ".".join(map(str, version))


def _companion_hint(project, req, fixed_s: str) -> str:
    """The pins to raise with ``req``: those its file holds below the fixed release's own minimums (each file
    is installed on its own: a monorepo's other requirements, a legacy set, a lock next to it have their own
    finding)."""
    companions = COMPANIONS.get(req.name)
    if not companions:
        return ""
    raise_, add = [], []
    same_file = [r for r in project.requirements if r.path == req.path]
    pinned = {r.name for r in same_file}
    for name, (label, minimum) in companions.items():
        for other in same_file:
            if other.name == name and allows_only_vulnerable(other.spec, minimum, other.kind):
                raise_.append(f"{label}>={_v(minimum)} (now {other.spec.strip()})")
                break
    for name, since in NEW_REQUIREMENTS.get(req.name, {}).items():
        if name not in pinned and allows_only_vulnerable(req.spec, since, req.kind):
            label, minimum = companions[name]
            add.append(f"{label}>={_v(minimum)} (required since {req.name} {_v(since)})")
    text = f"Raise {req.name} to >={fixed_s}"
    if raise_:
        text += (
            f" together with the pins below its own minimums: {', '.join(raise_)} (pip cannot install "
            f"{req.name} {fixed_s} while they are lower)"
        )
    if add:
        text += f"; if you pin every package, also add {', '.join(add)}"
    return text + "."
