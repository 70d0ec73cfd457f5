"""Where the page's scenario comes from: a shipped one, the file named on the command line, or an upload.

Every request names its scenario (or carries the uploaded text), so nothing about it is kept per tab.
Uploads are read by the same safe reader and validator as a file (size, depth and node limits included).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from orgsim.errors import OptionError, ScenarioError
from orgsim.scenario.checks import suggest
from orgsim.scenario.loader import MAX_BYTES, load, parse_text, resolve_path, shipped_scenarios, validate_mapping
from orgsim.scenario.schema import Scenario


class Sources:
    """The scenarios the page offers by name, and a small memory of parsed ones (by name or text hash)."""

    def __init__(self, initial: str | None):
        self.paths = {name: str(path) for name, path in sorted(shipped_scenarios().items())}
        self.initial = "baseline"
        if initial is not None:
            path = resolve_path(initial)
            load(path)  # a bad file fails `orgsim app` at once, with the file's own messages
            shipped = next((n for n, p in self.paths.items() if Path(p) == path), None)
            self.initial = shipped or str(initial)
            self.paths.setdefault(self.initial, str(path))
        self._parsed: dict[tuple, Scenario] = {}

    def get(self, body: dict) -> tuple[tuple, Scenario]:
        """(key, scenario) of a request: ``scenario`` a name offered here, or ``upload`` {name, text}."""
        upload = body.get("upload")
        if upload:
            text, name = str(upload.get("text", "")), str(upload.get("name") or "upload.yaml")[:100]
            if len(text.encode("utf-8")) > MAX_BYTES:
                raise ScenarioError([f"{name}: file is larger than {MAX_BYTES} bytes; scenario files are limited to that"])
            key = ("upload", name, hashlib.sha256(text.encode("utf-8")).hexdigest())
            if key not in self._parsed:
                raw, lines = parse_text(text, name)
                self._remember(key, validate_mapping(raw, name, lines))
            return key, self._parsed[key]
        name = str(body.get("scenario") or self.initial)
        if name not in self.paths:
            raise OptionError("scenario", f"{name} is not offered here{suggest(name, self.paths)} (offered: {', '.join(self.paths)})")
        key = ("named", name)
        if key not in self._parsed:
            self._remember(key, load(self.paths[name]))
        return key, self._parsed[key]

    def text(self, body: dict) -> str:
        """The scenario as its author wrote it (comments included)."""
        upload = body.get("upload")
        if upload:
            return str(upload.get("text", ""))
        self.get(body)  # an unknown name or a bad file is refused as when loading
        return Path(self.paths[str(body.get("scenario") or self.initial)]).read_text(encoding="utf-8")

    def _remember(self, key: tuple, scenario: Scenario) -> None:
        if scenario.units is not None:  # the page moves one firm's levers: a chain of units runs as one firm
            scenario = scenario.model_copy(update={"units": None})
        if len(self._parsed) >= 64:
            self._parsed.pop(next(iter(self._parsed)))
        self._parsed[key] = scenario
