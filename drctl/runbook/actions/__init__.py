"""Runbook actions, one model per `action:` name, registered in one checked table (registry)."""
