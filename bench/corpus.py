"""Generate a synthetic but realistic corpus of decision records for benchmarks.

    python bench/corpus.py 200 /tmp/corpus200

Each of the N records has 2 to 4 options with 3 to 5 components, flows between them,
security concerns, an estimate, pros and cons, a load model from the record's requirements,
an outcome, and links (every tenth record supersedes an earlier one; others relate in pairs,
both ends agreeing). Output is deterministic for a given N.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

KINDS = ["browser", "service", "database", "queue", "component", "cloud", "node", "storage"]
NOUNS = ["orders", "billing", "search", "notifications", "profiles", "reports", "audit", "media"]
TECH = ["PostgreSQL", "Redis", "Kafka", "S3", "Flask API", "Worker", "Gateway", "Cache", "Browser"]
CONCERNS = [
    "Session auth (existing)",
    "Rate limit: 100/min",
    "Secrets rotation",
    "TLS everywhere",
    "Input validation at the edge",
    "Audit logging of admin actions",
    "Least-privilege database roles",
]


def record_text(number: int, rng: random.Random, links: dict[str, list[int]]) -> str:
    noun = NOUNS[number % len(NOUNS)]
    lines = [
        "# yaml-language-server: $schema=../schema/adr.schema.json",
        f'title: "How {noun} service {number} stores and serves data"',
        f"status: {'superseded' if links.get('superseded_by') else rng.choice(['accepted', 'accepted', 'proposed', 'rejected'])}",
        f"date: 2024-{1 + number % 12:02d}-{1 + number % 28:02d}",
        "people:",
        "  decision_makers: [Platform team]",
        "  consulted: [Security]",
        f"tags: [{noun}, generated]",
    ]
    if any(links.values()):
        lines.append("links:")
        for kind, targets in links.items():
            if targets:
                lines.append(f"  {kind}: [{', '.join(str(t) for t in sorted(targets))}]")
    lines += [
        "context: |",
        f"  The {noun} workload grows; we need to choose how it is stored and served.",
        "  This paragraph has **Markdown** and a list:",
        "",
        "  - one",
        "  - two",
        "drivers: [Cost, Latency, Operability]",
        "requirements:",
        f"  users: {rng.choice([500, 1000, 5000, 20000])}",
        f"  latency: {rng.choice([5, 15, 30, 60])} s",
        "options:",
    ]
    option_count = rng.randint(2, 4)
    for o in range(option_count):
        components = rng.randint(3, 5)
        lines += [
            f"  - id: opt{o}",
            f"    name: Option {o} for {noun}",
            f"    verdict: {'SHIP THIS' if o == 0 else 'NO'!r}".replace("'", '"'),
            f"    summary: Use {TECH[(number + o) % len(TECH)]} as the core of this option.",
            "    components:",
        ]
        for c in range(components):
            lines.append(
                f"      - {{id: c{c}, kind: {KINDS[(o + c) % len(KINDS)]}, label: {TECH[(number + o + c) % len(TECH)]} {c}}}"
            )
        lines.append("    flows:")
        for c in range(components - 1):
            direction = rng.choice(["down", "right", "down", "up"])
            lines.append(
                f'      - {{from: c{c}, to: c{c + 1}, direction: {direction}, label: "call {c} (every {rng.randint(1, 60)}s)"}}'
            )
        lines.append("    security:")
        for concern in rng.sample(CONCERNS, rng.randint(1, 4)):
            lines.append(f'      - "{concern}"')
        low = rng.randint(1, 3)
        lines += [
            f"    complexity: {rng.choice(['low', 'medium', 'high'])}",
            f"    time: {low}-{low + rng.randint(1, 3)} weeks",
            "    pros: [Simple to run, Well understood]",
            "    cons: [Costs more at scale]",
            "    risks: [Vendor lock-in]",
            "    load: {model: polling, clients: users, interval: latency, capacity: 1000 req/s}"
            if o % 2 == 0
            else "    load: {model: persistent, clients: users}",
        ]
    lines += [
        "outcome:",
        "  chosen: opt0",
        f"  summary: Ship option 0 for {noun} now",
        "  rationale: It meets the requirements with the least new infrastructure.",
        "  consequences:",
        "    good: [Ships quickly]",
        "    bad: [Revisit at 10x load]",
    ]
    return "\n".join(lines) + "\n"


def generate(n: int, out: Path) -> list[Path]:
    """Write ``n`` records into ``out/decisions`` and return their paths."""
    rng = random.Random(n)
    links: dict[int, dict[str, list[int]]] = {
        i: {"supersedes": [], "superseded_by": [], "relates_to": []} for i in range(1, n + 1)
    }
    for i in range(1, n + 1):
        if i % 10 == 0 and i > 5:
            links[i]["supersedes"].append(i - 5)
            links[i - 5]["superseded_by"].append(i)
        elif i % 3 == 0 and i > 1:
            links[i]["relates_to"].append(i - 1)
            links[i - 1]["relates_to"].append(i)
    decisions = out / "decisions"
    decisions.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(1, n + 1):
        path = decisions / f"{i:04d}-generated-decision-{i}.yaml"
        path.write_text(record_text(i, rng, links[i]), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    target = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(f"bench/corpus{count}")
    generate(count, target)
    print(f"{count} records in {target / 'decisions'}")
