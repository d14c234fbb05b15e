"""Checks an interpreter against aim4j's pins (``requirements.txt`` beside this package): imports
each package, reads its installed version and compares it with the pin. Standard library only, so
it runs in an empty environment too.

``python -m aim4j.environment [REQUIREMENTS]`` prints one tab-separated line per package:
name, requirement, installed version (``-`` if none), status (``ok``, ``missing``, ``mismatch``,
``broken``: installed but its import fails, ``unlinked``: aim4j's package not installed from this
checkout, which only matters to a bare ``python``: aim4j's commands put this checkout first on PYTHONPATH)
and a detail. ``aim4j python info`` shows them as a table.
"""

from __future__ import annotations

import importlib
import importlib.metadata as metadata
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCES = Path(__file__).resolve().parent.parent
REQUIREMENTS = SOURCES / "requirements.txt"

# Distributions whose import name is not their own name.
_MODULES = {"pillow": "PIL", "orbax-checkpoint": "orbax.checkpoint"}
_SPEC = re.compile(r"^([A-Za-z0-9._-]+)\s*(.*)$")


@dataclass(frozen=True)
class Status:
    """One package's state in this interpreter."""

    name: str
    required: str
    installed: str | None
    status: str
    detail: str = ""

    def line(self) -> str:
        """The tab-separated form ``aim4j python info`` reads."""
        fields = (self.name, self.required or "any", self.installed or "-", self.status, self.detail)
        return "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields)


def read_requirements(path: Path) -> list[tuple[str, str]]:
    """``(name, specifier)`` of each requirement line (comments, blank lines and pip options skipped)."""
    out = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = _SPEC.match(line)
            if match:
                out.append((match.group(1), match.group(2).replace(" ", "")))
    return out


def _release(version: str) -> tuple[int, ...]:
    """The numeric release of a version string (``2.13.0+cpu`` -> (2, 13, 0)), enough for the
    ``>=``/``<``-style bounds of aim4j's requirements."""
    match = re.match(r"\d+(\.\d+)*", version)
    return tuple(int(p) for p in match.group(0).split(".")) if match else ()


def satisfies(version: str, specifier: str) -> bool:
    """Whether ``version`` meets a comma-separated specifier; ``==`` compares the whole string
    (local labels such as ``+cpu`` included), the others the numeric release."""
    for clause in filter(None, specifier.split(",")):
        op, wanted = re.match(r"(==|!=|>=|<=|>|<|~=)?(.*)", clause).groups()
        have, want = _release(version), _release(wanted)
        ok = {
            "==": version == wanted, "!=": version != wanted, ">=": have >= want, "<=": have <= want,
            ">": have > want, "<": have < want, "~=": have >= want and have[:len(want) - 1] == want[:-1],
            None: version == wanted,
        }[op]
        if not ok:
            return False
    return True


def _installed_self() -> metadata.Distribution | None:
    """aim4j's installed distribution: not the build metadata an editable install leaves in this
    folder, which Python also finds because aim4j's commands put the folder on PYTHONPATH."""
    for dist in metadata.distributions(name="aim4j"):
        location = Path(str(dist.locate_file(""))).resolve()
        if location != SOURCES:
            return dist
    return None


def _editable_source(dist: metadata.Distribution) -> Path | None:
    """Where an editable install points (PEP 610's direct_url.json), if it is one."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    url = json.loads(text).get("url", "")
    return Path(url[len("file://"):]).resolve() if url.startswith("file://") else None


def check_package(name: str, specifier: str) -> Status:
    """Imports ``name`` and compares its installed version with ``specifier``."""
    try:
        version = metadata.version(name)
    except metadata.PackageNotFoundError:
        return Status(name, specifier, None, "missing", "not installed")
    try:
        importlib.import_module(_MODULES.get(name.lower(), name.replace("-", "_")))
    except Exception as e:  # any import failure (missing native library, ABI mismatch) is reported, not raised
        return Status(name, specifier, version, "broken", f"{version} installed but its import fails: {type(e).__name__}: {e}")
    if specifier and not satisfies(version, specifier):
        return Status(name, specifier, version, "mismatch", f"{version} installed, aim4j needs {specifier}")
    return Status(name, specifier, version, "ok")


def check_self() -> Status:
    """aim4j's own package: installed, and from this checkout (an editable install)."""
    required = "editable, this checkout"
    dist = _installed_self()
    hint = f"aim4j's commands use this checkout's anyway; for a bare python: pip install -e {SOURCES}"
    if dist is None:
        return Status("aim4j", required, None, "unlinked", f"not installed; {hint}")
    source = _editable_source(dist)
    if source != SOURCES:
        return Status("aim4j", required, dist.version, "unlinked", f"installed from {source or 'a copy'}; {hint}")
    return Status("aim4j", required, dist.version, "ok")


def check(requirements: Path = REQUIREMENTS) -> list[Status]:
    """Every pinned package, then aim4j's own."""
    return [check_package(name, spec) for name, spec in read_requirements(requirements)] + [check_self()]


def main(argv: list[str]) -> int:
    """Prints the check as tab-separated lines; the exit code is 0 even when packages are missing
    (the caller decides), 2 for an unreadable requirements file."""
    path = Path(argv[0]) if argv else REQUIREMENTS
    try:
        statuses = check(path)
    except OSError as e:
        print(f"{path}: {e.strerror or e}", file=sys.stderr)
        return 2
    for s in statuses:
        print(s.line())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
