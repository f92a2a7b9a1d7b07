"""Configuration loading for the inventory service."""

import json
import os
from dataclasses import dataclass, field


@dataclass
class Config:
    """Settings the service reads at start-up."""

    database_url: str
    cache_size: int = 128
    tags: list[str] = field(default_factory=list)


def load_config(path: str, defaults: dict | None = None) -> Config:
    """Read a JSON config file and merge it over the given defaults."""
    values = dict(defaults or {})
    with open(path, encoding="utf-8") as handle:
        values.update(json.load(handle))
    url = os.environ.get("INVENTORY_DATABASE_URL", values.get("database_url", ""))
    if not url:
        raise ValueError(f"{path}: database_url is not set")
    return Config(
        database_url=url,
        cache_size=int(values.get("cache_size", 128)),
        tags=values.get("tags", []),
    )


def merge_tags(first: list[str], second: list[str]) -> list[str]:
    seen = set()
    merged = []
    for tag in first + second:
        if tag not in seen:
            seen.add(tag)
            merged.append(tag)
    return merged
