"""``IdentityStore`` in a dict: for tests and single-process tools; nothing survives a
restart."""

from __future__ import annotations

import threading


class MemoryIdentityStore:
    """Mappings in this process; thread safe."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def ensure_schema(self) -> None:
        pass

    def listener(self, account: str, person: str) -> str | None:
        with self._lock:
            return self._listeners.get((account, person))

    def claim(self, account: str, person: str, listener: str) -> str:
        with self._lock:
            return self._listeners.setdefault((account, person), listener)

    def listeners_of(self, account: str) -> list[str]:
        with self._lock:
            return [v for (a, _), v in sorted(self._listeners.items()) if a == account]

    def forget(self, user_id: str) -> int:
        with self._lock:
            keys = [key for key, listener in self._listeners.items() if listener == user_id]
            for key in keys:
                del self._listeners[key]
            return len(keys)

    def close(self) -> None:
        pass
