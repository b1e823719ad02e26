"""Prefect flows: thin orchestration over `newsdedup.pipeline`, batch by batch."""
