"""The seeded random streams: one per concern, so drawing more of one never shifts another."""

from __future__ import annotations

import random


def _rng(seed: int, stream: str) -> random.Random:
    return random.Random(f"gi-synth:{seed}:{stream}")


def _wchoice(r: random.Random, options: dict):
    x = r.random() * sum(options.values())
    for key, w in options.items():
        x -= w
        if x < 0:
            return key
    return key
