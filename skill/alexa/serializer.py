"""ask-sdk's serializer, minus the two costs that dominated reading an envelope.

``DefaultSerializer`` resolves every model class by name with ``__import__`` each time it
meets one (a dozen per envelope) and parses every timestamp with ``dateutil``'s general
parser. Classes never change, so they are resolved once; Alexa's timestamps are ISO 8601, which
``datetime.fromisoformat`` reads, with ``dateutil`` kept for anything else. Same objects out,
about 2.5 times faster (``bench/request_path.py``).

The overrides name the base class's private methods as Python mangles them: ask-sdk-core is
pinned below 2, and ``tests/skill/test_serializer.py`` compares this serializer's output with
the SDK's on every golden envelope, so a change of those names fails there first.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from typing import Any

from ask_sdk_core.serialize import DefaultSerializer

_BASE: Any = DefaultSerializer  # its private methods, by their mangled names


class EnvelopeSerializer(DefaultSerializer):
    @functools.cache  # noqa: B019 (one serializer per process; classes are few)
    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:  # noqa: N802
        return _BASE._DefaultSerializer__load_class_from_name(self, class_name)

    def _DefaultSerializer__deserialize_datetime(  # noqa: N802
        self, payload: Any, obj_type: Any
    ) -> Any:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            return _BASE._DefaultSerializer__deserialize_datetime(self, payload, obj_type)
        return parsed.date() if obj_type is date else parsed

    def from_object(self, payload: Any, obj_type: Any) -> Any:
        """``deserialize`` of a value already in JSON's shape (dicts, lists, strings,
        numbers): the same model, without writing it out as text to parse it again."""
        return _BASE._DefaultSerializer__deserialize(self, payload, obj_type)


SERIALIZER = EnvelopeSerializer()  # stateless but for its class cache: one per process
