"""The ASK CLI skill package: ``skill-package/skill.json`` and one interaction model per
locale under ``skill-package/interactionModels/custom/``.

The models are copies of ``interaction_models/`` (generated from nlu by
``philomath nlu interaction-model``); ``philomath skill-package`` refreshes them
(``--check`` only compares, for CI). ``ask deploy`` from the repository root then deploys the
manifest and the models (``ask-resources.json`` points at ``skill-package/``).

``skill-package/accountLinking.json`` holds the account-linking settings (OAuth 2.0
authorization-code grant against the issuer whose tokens the API accepts: ``ask deploy``
sends them); its client secret is never committed, it is set once with ``ask smapi
update-account-linking-info``. ``package_problems`` checks them and the SkillDisabled
subscription erasure relies on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIR = ROOT / "interaction_models"
PACKAGE_DIR = ROOT / "skill-package"
MODELS_DIR = PACKAGE_DIR / "interactionModels" / "custom"
ACCOUNT_LINKING = PACKAGE_DIR / "accountLinking.json"
MANIFEST = PACKAGE_DIR / "skill.json"
# The scopes a linked account's token must grant for the skill (the API's, see
# skill.api.security.auth.SCOPES), each maybe behind a resource server's ``<id>/`` prefix.
LINKED_SCOPES = ("recommendations:read", "play", "events:write")


def stale_models(source: Path = SOURCE_DIR, target: Path = MODELS_DIR) -> list[str]:
    """Locales whose packaged model differs from (or lacks) the source, plus packaged
    locales that no longer have a source."""
    sources = {p.name: p.read_bytes() for p in sorted(source.glob("*.json"))}
    packaged = {p.name: p.read_bytes() for p in sorted(target.glob("*.json"))}
    return sorted(n for n in sources.keys() | packaged.keys() if sources.get(n) != packaged.get(n))


def sync_models(source: Path = SOURCE_DIR, target: Path = MODELS_DIR) -> list[str]:
    """Copy every source model into the package, remove orphans; the locales changed."""
    changed = stale_models(source, target)
    target.mkdir(parents=True, exist_ok=True)
    for name in changed:
        origin = source / name
        if origin.exists():
            (target / name).write_bytes(origin.read_bytes())
        else:
            (target / name).unlink()
    return changed


def package_problems(manifest: Path = MANIFEST, linking: Path = ACCOUNT_LINKING) -> list[str]:
    """What would make account linking or erasure fail once deployed: the linking request
    (authorization-code grant, HTTPS URLs, a client id, the skill's scopes, no committed
    secret) and the manifest's SkillDisabled subscription."""
    problems: list[str] = []
    request: dict[str, Any] = json.loads(linking.read_text(encoding="utf-8")).get(
        "accountLinkingRequest", {}
    )
    if request.get("type") != "AUTH_CODE":
        problems.append("accountLinkingRequest.type must be AUTH_CODE")
    for field in ("authorizationUrl", "accessTokenUrl"):
        parts = urlsplit(str(request.get(field, "")))
        if parts.scheme != "https" or not parts.netloc:
            problems.append(f"accountLinkingRequest.{field} must be an https URL")
    if not request.get("clientId"):
        problems.append("accountLinkingRequest.clientId is missing")
    if "clientSecret" in request:
        problems.append("accountLinkingRequest.clientSecret must not be committed")
    granted = {str(scope).rpartition("/")[2] for scope in request.get("scopes", [])}
    missing = [scope for scope in LINKED_SCOPES if scope not in granted]
    if missing:
        problems.append(f"accountLinkingRequest.scopes lacks {', '.join(missing)}")
    events = json.loads(manifest.read_text(encoding="utf-8"))["manifest"].get("events", {})
    if {"eventName": "SKILL_DISABLED"} not in events.get("subscriptions", []):
        problems.append("skill.json must subscribe to SKILL_DISABLED (erasure)")
    return problems
