"""Self time of a py-spy raw profile (`py-spy record -f raw`) of our server, by where the
innermost frame of each sample lives (database, GraphQL execution, resolvers, HTTP, event
loop, the request line); samples of other threads are left out.

Usage: python3 bench/pyspy_categories.py PROFILE.raw
"""

from __future__ import annotations

import collections
import sys

DATABASE = "database (SQLAlchemy, asyncmy)"
GRAPHQL = "GraphQL execution (graphql-core, Strawberry, schema/)"
RESOLVERS = "resolvers and records"
LOG = "request log line"
HTTP = "HTTP (uvicorn, Starlette, taskboard/http.py)"
LOOP = "event loop (asyncio)"
CATEGORIES = [("sqlalchemy", DATABASE), ("asyncmy", DATABASE), ("greenlet", DATABASE),
              ("graphql/", GRAPHQL), ("strawberry/", GRAPHQL), ("schema/", GRAPHQL),
              ("resolvers/", RESOLVERS), ("models/", RESOLVERS),
              ("taskboard/logs", LOG), ("logging/", LOG), ("structlog", LOG),
              ("starlette", HTTP), ("uvicorn", HTTP), ("httptools", HTTP), ("taskboard/", HTTP),
              ("asyncio/", LOOP), ("selectors", LOOP)]


def main(path: str) -> None:
    total = 0
    counts: collections.Counter[str] = collections.Counter()
    with open(path) as f:
        for line in f:
            stack, n = line.rsplit(" ", 1)
            frames = stack.split(";")
            if not any("run (uvicorn" in frame or "serve (taskboard" in frame for frame in frames):
                continue  # another thread
            total += int(n)
            leaf = frames[-1]
            name = next((name for key, name in CATEGORIES if key in leaf), "other")
            counts[name] += int(n)
    for category, samples in counts.most_common():
        print(f"| {category} | {100 * samples / total:.1f}% |")
    print(f"samples: {total}")


if __name__ == "__main__":
    main(sys.argv[1])
