"""Reading a runbook file into its parts, each with its line: front matter, step blocks, prose.

Markdown (`*.md`): YAML front matter, and fenced blocks whose info string is `drctl`, each one
step in YAML; the text around them is prose for the person (markdown-it-py finds the blocks).
YAML (`*.runbook.yaml` / `.yml`): the front matter keys at the top and `steps:` a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from markdown_it import MarkdownIt
from mdit_py_plugins.front_matter import front_matter_plugin

from drctl.core.errors import InvalidInput
from drctl.runbook.yamlsrc import YamlProblem, child, load_yaml

MARKDOWN = (".md", ".markdown")
YAML = (".runbook.yaml", ".runbook.yml")


@dataclass(frozen=True)
class Problem:
    location: str  # file:line
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        return {"location": self.location, "severity": self.severity, "message": self.message}


@dataclass(frozen=True)
class Part:
    """A YAML mapping of the file: `offset` is the 0-based file line of its text's first line."""

    data: Any
    root: yaml.Node | None
    offset: int
    prose: str = ""


@dataclass
class Source:
    path: Path
    front: Part | None = None
    blocks: list[Part] = field(default_factory=list)
    intro: str = ""
    problems: list[Problem] = field(default_factory=list)

    def where(self, line: int) -> str:
        """`file:line` for a 0-based file line."""
        return f"{self.path}:{line + 1}"


def is_runbook_path(path: Path) -> bool:
    return path.name.endswith(MARKDOWN + YAML)


def read_source(path: Path) -> Source:
    """Split a runbook file into parts. InvalidInput when it cannot be read or is neither
    Markdown nor `*.runbook.yaml`; problems inside the file are collected in `problems`."""
    if not is_runbook_path(path):
        raise InvalidInput(f"{path}: not a runbook (a Markdown .md file or a .runbook.yaml)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidInput(f"{path}: cannot read runbook: {reason}") from None
    source = Source(path)
    if path.name.endswith(YAML):
        _read_yaml(source, text)
    else:
        _read_markdown(source, text)
    return source


def _part(source: Source, text: str, offset: int, prose: str = "") -> Part | None:
    try:
        doc = load_yaml(text)
    except YamlProblem as exc:
        source.problems.append(Problem(source.where(offset + exc.line), exc.message))
        return None
    return Part(doc.data, doc.root, offset, prose)


def _read_markdown(source: Source, text: str) -> None:
    tokens = MarkdownIt("commonmark").use(front_matter_plugin).parse(text)
    lines = text.splitlines()
    prose_from, fences = 0, 0
    for token in tokens:
        if token.map is None:
            continue
        start, end = token.map
        if token.type == "front_matter":
            source.front = _part(source, token.content, start + 1)
            prose_from = end
        elif token.type == "fence" and token.info.strip() == "drctl":
            fences += 1
            prose = "\n".join(lines[prose_from:start]).strip()
            if not source.blocks and source.front is not None:
                source.intro, prose = prose, ""
            part = _part(source, token.content, start + 1, prose)
            if part is not None:
                source.blocks.append(part)
            prose_from = end
    if source.front is None and not any(p.message.startswith("not valid") for p in
                                        source.problems):
        source.problems.append(Problem(source.where(0), "no YAML front matter (a runbook "
                                       "starts with ---, its id, title and params, then ---)"))
    if not fences:
        source.problems.append(Problem(source.where(0), "no ```drctl step blocks"))


def _read_yaml(source: Source, text: str) -> None:
    part = _part(source, text, 0)
    if part is None:
        return
    if not isinstance(part.data, dict):
        source.problems.append(Problem(source.where(0), "a runbook is a YAML mapping"))
        return
    steps = part.data.get("steps")
    front = {k: v for k, v in part.data.items() if k != "steps"}
    source.front = Part(front, part.root, 0)
    if not isinstance(steps, list) or not steps:
        source.problems.append(Problem(source.where(0), "steps: must be a non-empty list"))
        return
    steps_node = child(part.root, "steps")
    for index, data in enumerate(steps):
        node = child(steps_node, index)
        source.blocks.append(Part(data, node, 0))
