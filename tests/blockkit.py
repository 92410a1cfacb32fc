"""A checker for Slack Block Kit message payloads, written from Slack's reference
(docs.slack.dev/reference/block-kit): what an incoming webhook accepts. Returns the problems
found (empty: valid) so a test can show them all."""

from __future__ import annotations

from typing import Any

TOP_LEVEL = {"text", "blocks", "attachments", "thread_ts", "mrkdwn", "unfurl_links",
             "unfurl_media", "username", "icon_emoji", "icon_url", "channel"}
TEXT_TYPES = {"plain_text", "mrkdwn"}


def problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["payload is not a JSON object"]
    found = [f"unknown top-level field {k!r}" for k in payload if k not in TOP_LEVEL]
    blocks = payload.get("blocks")
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        found.append("no fallback `text` (Slack requires it with blocks for notifications)")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*found, "`blocks` must be a list of 1 to 50 blocks"]
    for index, block in enumerate(blocks):
        found += [f"blocks[{index}]: {p}" for p in _block(block)]
    return found


def _block(block: Any) -> list[str]:
    if not isinstance(block, dict) or "type" not in block:
        return ["not an object with a type"]
    if len(block.get("block_id", "")) > 255:
        return ["block_id over 255 characters"]
    kind = block["type"]
    if kind == "header":
        return _text(block.get("text"), 150, only="plain_text")
    if kind == "section":
        return _section(block)
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            return ["context needs 1 to 10 elements"]
        return [p for e in elements for p in _text(e, 3000)]
    if kind == "divider":
        extra = set(block) - {"type", "block_id"}
        return [f"divider has {sorted(extra)}"] if extra else []
    return [f"block type {kind!r} not checked by this test"]


def _section(block: dict[str, Any]) -> list[str]:
    if "text" not in block and "fields" not in block:
        return ["section needs text or fields"]
    found = _text(block["text"], 3000) if "text" in block else []
    fields = block.get("fields", [])
    if len(fields) > 10:
        found.append("section has more than 10 fields")
    return found + [p for f in fields for p in _text(f, 2000)]


def _text(obj: Any, limit: int, only: str | None = None) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in TEXT_TYPES:
        return [f"not a text object: {obj!r}"]
    if only and obj["type"] != only:
        return [f"text must be {only}"]
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        return [f"text must be 1 to {limit} characters"]
    if obj["type"] == "mrkdwn" and ("<" in text or ">" in text):
        return ["unescaped < or > in mrkdwn"]
    return []
