"""What resolving the listener adds to a turn, next to a store read, in one run.

    .venv/bin/python bench/identity.py [--requests 2000]

Everything on the embedded SQLite adapters, in a temporary folder. Stages:

- profile read (baseline): ``SqliteProfileStore.get`` of a stored profile, a read every
  personalized turn already makes;
- unlinked, first sight: ``ListenerResolver.resolve`` of a new Alexa account (a read, then a
  listener minted and claimed in one durable write);
- unlinked, known, not cached: the same accounts through a fresh resolver (another process):
  one indexed read;
- unlinked, known, cached: the same resolver again (what nearly every turn costs);
- linked: an ES256 JWT checked by the REST API's ``JwtAuthenticator`` (keys cached).

Prints p50/p99 in microseconds with their ratio to the baseline.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from listening.identity import AlexaCaller, ListenerResolver
from listening.sqlite_identity import SqliteIdentityStore
from philomath.security import token_verifier
from recommender.storage.profiles import UserProfile
from recommender.storage.sqlite_profiles import SqliteProfileStore
from skill.api.security.jwks import JwksCache
from skill.api.security.jwt_auth import JwtAuthenticator
from tests.oidc_issuer import AUDIENCE, ISSUER, FakeIssuer


def timed(run: Callable[[int], object], n: int) -> tuple[float, float]:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        run(i)
        samples.append((time.perf_counter() - started) * 1e6)
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    n = parser.parse_args().requests

    def account(i: int) -> AlexaCaller:
        return AlexaCaller(f"amzn1.ask.account.bench-{i}")

    with tempfile.TemporaryDirectory() as folder:
        profiles = SqliteProfileStore(Path(folder) / "profiles.db")
        profiles.ensure_schema()
        profiles.put_many(UserProfile(f"usr-{i}", play_count=i) for i in range(n))
        store = SqliteIdentityStore(Path(folder) / "identity.db")
        store.ensure_schema()
        first, again = ListenerResolver(store), ListenerResolver(store)
        issuer = FakeIssuer()
        keys = JwksCache(issuer.fetch, min_refetch_s=60)
        verify = token_verifier(JwtAuthenticator(keys, issuer=ISSUER, audience=AUDIENCE))
        token = issuer.token(sub="usr-0000001")
        stages = {
            "profile read (baseline)": lambda i: profiles.get(f"usr-{i}"),
            "unlinked, first sight": lambda i: first.resolve(account(i)),
            "unlinked, known, not cached": lambda i: again.resolve(account(i)),
            "unlinked, known, cached": lambda i: again.resolve(account(i)),
            "linked (JWT verified)": lambda i: verify(token),
        }
        results = {name: timed(run, n) for name, run in stages.items()}
        store.close()
        profiles.close()
    base_p50, base_p99 = results["profile read (baseline)"]
    print(f"{'stage':32} {'p50 us':>8} {'p99 us':>8} {'p50 x':>7} {'p99 x':>7}")
    for name, (p50, p99) in results.items():
        print(f"{name:32} {p50:8.0f} {p99:8.0f} {p50 / base_p50:7.2f} {p99 / base_p99:7.2f}")


if __name__ == "__main__":
    main()
