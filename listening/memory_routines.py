"""``RoutineStore`` in a dict: for tests and single-process tools; nothing survives a restart."""

from __future__ import annotations

import threading

from listening.routines import Routine


class MemoryRoutineStore:
    """Routines in this process; thread safe."""

    def __init__(self) -> None:
        self._routines: dict[tuple[str, str], Routine] = {}
        self._lock = threading.Lock()

    def ensure_schema(self) -> None:
        pass

    def add(self, routine: Routine) -> None:
        with self._lock:
            self._routines[(routine.user_id, routine.routine_id)] = routine

    def for_listener(self, user_id: str) -> list[Routine]:
        with self._lock:
            mine = [r for (user, _), r in self._routines.items() if user == user_id]
        return sorted(mine, key=lambda r: (r.created_at, r.routine_id))

    def delete(self, user_id: str, routine_id: str) -> bool:
        with self._lock:
            return self._routines.pop((user_id, routine_id), None) is not None

    def forget(self, user_id: str) -> int:
        with self._lock:
            keys = [key for key in self._routines if key[0] == user_id]
            for key in keys:
                del self._routines[key]
        return len(keys)

    def close(self) -> None:
        pass
