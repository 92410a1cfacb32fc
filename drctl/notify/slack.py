"""A Notification as a Slack message: Block Kit, within the limits Slack documents.

    {"text": fallback, "blocks": [header, section (mrkdwn), ..., context]}

- `text` is what notifications and clients without blocks show;
- a header's plain_text is at most 150 characters, a section's text at most 3,000, a message
  at most 50 blocks, a context at most 10 elements;
- mrkdwn treats `&`, `<` and `>` as control characters: they are escaped, so a run's error
  text can never become a link or a mention.
Mattermost and Teams webhooks accept the same `text` (and ignore or render `blocks`).
"""

from __future__ import annotations

from typing import Any

from drctl.notify.base import Notification

HEADER_MAX, SECTION_MAX, BLOCKS_MAX, CONTEXT_MAX = 150, 3000, 50, 10


def block_kit(note: Notification) -> dict[str, Any]:
    paragraphs = [p for p in note.text.split("\n\n") if p.strip()]
    blocks: list[dict[str, Any]] = [_header(note.subject)]
    for paragraph in paragraphs:
        blocks.extend(_section(chunk) for chunk in _chunks(escape(paragraph), SECTION_MAX))
    blocks = blocks[: BLOCKS_MAX - 1]
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": escape(f"sent by drctl{_run(note)}")}]})
    return {"text": _truncate(f"{note.subject}\n{note.text}", 3000), "blocks": blocks}


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _header(subject: str) -> dict[str, Any]:
    return {"type": "header",
            "text": {"type": "plain_text", "text": _truncate(subject, HEADER_MAX)}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _chunks(text: str, size: int) -> list[str]:
    """Pieces of at most `size` characters, cut at line ends where possible."""
    pieces: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        cut = cut if cut > 0 else size
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n")
    return [*pieces, text] if text else pieces


def _truncate(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _run(note: Notification) -> str:
    run_id = note.data.get("run_id")
    return f", run {run_id}" if run_id else ""
