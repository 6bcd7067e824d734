"""ask-sdk's serializer, with the same output, at a fraction of its cost per turn.

``DefaultSerializer`` interprets its models' type strings (``'list[a.b.C]'``, class names,
``'dict(str, X)'``) afresh for every value: it matches regular expressions, imports classes by
name and rebuilds each class's attribute map, for every one of the hundred or so values of an
envelope. It parses every timestamp with ``dateutil``'s general parser. That was a quarter of
a PlayMusic turn's CPU (BENCHMARKS.md, "Under concurrent load over HTTP").

Here each type string and model class is turned once into a reader (payload to model) and each
model class into a writer (model to JSON-ready dict); a turn only runs them. Alexa's
timestamps are ISO 8601, which ``datetime.fromisoformat`` reads, with ``dateutil`` kept for
anything else. The discriminator, primitive casts and their errors are the SDK's own methods,
called by their mangled names: ask-sdk-core is pinned below 2, and
``tests/skill/test_serializer.py`` compares this serializer with the SDK's, both ways, on
every golden envelope, so a change of those names or semantics fails there first.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer

_BASE: Any = DefaultSerializer  # its private methods, by their mangled names
_LIST = re.compile(r"list\[(.*)\]")
_DICT = re.compile(r"dict\(([^,]*), (.*)\)")

Reader = Callable[[Any], Any]
Writer = Callable[[Any], Any]


class EnvelopeSerializer(DefaultSerializer):
    def deserialize(self, payload: Any, obj_type: Any) -> Any:
        if payload is None:
            return None
        try:
            parsed = json.loads(payload)
        except Exception as exc:  # the SDK's own refusal, for any unreadable body
            raise SerializationException(f"Couldn't parse response body: {payload}") from exc
        return self.from_object(parsed, obj_type)

    def from_object(self, payload: Any, obj_type: Any) -> Any:
        """``deserialize`` of a value already in JSON's shape (dicts, lists, strings,
        numbers): the same model, without writing it out as text to parse it again."""
        return None if payload is None else self._reader(obj_type)(payload)

    def serialize(self, obj: Any) -> Any:
        if obj is None or isinstance(obj, self.PRIMITIVE_TYPES):
            return obj
        cls: Any = type(obj)  # mypy does not take a type[Any] for Hashable
        return self._writer(cls)(obj)

    # -- reading ---------------------------------------------------------------------------

    @functools.cache  # noqa: B019 (one serializer per process; type strings are few)
    def _reader(self, obj_type: Any) -> Reader:
        if isinstance(obj_type, str):
            listed, mapped = _LIST.match(obj_type), _DICT.match(obj_type)
            if obj_type.startswith("list[") and listed and "," not in listed.group(1):
                item = self._reader(listed.group(1).strip())
                return lambda payload: [_maybe(item, value) for value in payload]
            if obj_type.startswith("list[") or obj_type.startswith("dict(") and not mapped:
                return functools.partial(
                    _BASE._DefaultSerializer__deserialize, self, obj_type=obj_type
                )
            if mapped:
                value_reader = self._reader(mapped.group(2))
                return lambda payload: {k: _maybe(value_reader, v) for k, v in payload.items()}
            obj_type = self.NATIVE_TYPES_MAPPING.get(obj_type) or (
                self._DefaultSerializer__load_class_from_name(obj_type)
            )
        if obj_type in self.PRIMITIVE_TYPES:
            return functools.partial(self._primitive, obj_type=obj_type)
        if obj_type is object:
            return _same
        if obj_type is date or obj_type is datetime:
            return functools.partial(self._timestamp, obj_type=obj_type)
        return self._model_reader(obj_type)

    def _model_reader(self, cls: Any) -> Reader:
        if isinstance(cls, type) and issubclass(cls, Enum):
            return _guarded(cls)
        if not hasattr(cls, "deserialized_types"):
            return _same
        if not hasattr(cls, "get_real_child_model"):
            return _guarded(self._fields_reader(cls))

        def polymorphic(payload: Any) -> Any:  # the concrete class is named in the payload
            concrete = _BASE._DefaultSerializer__get_obj_by_discriminator(self, payload, cls)
            return self._fields_reader(concrete)(payload)

        return _guarded(polymorphic)

    @functools.cache  # noqa: B019 (one reader per model class)
    def _fields_reader(self, cls: Any) -> Reader:
        # Readers of the fields' types are looked up when first used: models can nest
        # themselves (directly or not), so building them all now would never end.
        # By JSON key: a payload names a few of its model's many fields, so a read walks
        # the payload's keys, not the model's.
        fields = {
            key: (attribute, cls.deserialized_types[attribute])
            for attribute, key in _attribute_map(cls).items()
        }

        def read(payload: Any) -> Any:
            model = cls()
            unknown = []
            for key, value in payload.items():
                field = fields.get(key)
                if field is None:
                    unknown.append(key)
                else:
                    setattr(model, field[0], _maybe(self._reader(field[1]), value))
            for key in unknown:  # the SDK keeps unknown fields as plain attributes, set last
                setattr(model, key, payload[key])
            return model

        return read

    @functools.cache  # noqa: B019 (classes never change: resolved once by name)
    def _DefaultSerializer__load_class_from_name(self, class_name: str) -> Any:  # noqa: N802
        return _BASE._DefaultSerializer__load_class_from_name(self, class_name)

    def _primitive(self, payload: Any, obj_type: Any) -> Any:
        return _BASE._DefaultSerializer__deserialize_primitive(self, payload, obj_type)

    def _timestamp(self, payload: Any, obj_type: Any) -> Any:
        return self._DefaultSerializer__deserialize_datetime(payload, obj_type)

    def _DefaultSerializer__deserialize_datetime(  # noqa: N802
        self, payload: Any, obj_type: Any
    ) -> Any:
        try:
            parsed = datetime.fromisoformat(payload)
        except (TypeError, ValueError):
            return _BASE._DefaultSerializer__deserialize_datetime(self, payload, obj_type)
        return parsed.date() if obj_type is date else parsed

    # -- writing ---------------------------------------------------------------------------

    @functools.cache  # noqa: B019 (one writer per class)
    def _writer(self, cls: Any) -> Writer:
        if issubclass(cls, list):
            return lambda obj: [self.serialize(item) for item in obj]
        if issubclass(cls, tuple):
            return lambda obj: tuple(self.serialize(item) for item in obj)
        if issubclass(cls, dict):
            return lambda obj: {key: self.serialize(value) for key, value in obj.items()}
        if not hasattr(cls, "deserialized_types") or issubclass(cls, datetime | date | Enum):
            return functools.partial(DefaultSerializer.serialize, self)
        fields = list(_attribute_map(cls).items())

        def write(obj: Any) -> dict[str, Any]:
            out = {}
            for attribute, key in fields:
                value = getattr(obj, attribute)
                if value is not None:
                    out[key] = self.serialize(value)
            return out

        return write


def _attribute_map(cls: Any) -> dict[str, str]:
    """Model attribute to JSON key, as the SDK builds it (without writing it into the class)."""
    mapping = dict(getattr(cls, "attribute_map", {}))
    mapping.update({k: k for k in cls.deserialized_types if k not in mapping})
    return mapping


def _maybe(reader: Reader, payload: Any) -> Any:
    return None if payload is None else reader(payload)


def _same(payload: Any) -> Any:
    return payload


def _guarded(read: Reader) -> Reader:
    """The SDK reports any failure inside a model as a ``SerializationException``."""

    def guarded(payload: Any) -> Any:
        try:
            return read(payload)
        except SerializationException:
            raise
        except Exception as exc:
            raise SerializationException(str(exc)) from exc

    return guarded


SERIALIZER = EnvelopeSerializer()  # stateless but for its caches: one per process
