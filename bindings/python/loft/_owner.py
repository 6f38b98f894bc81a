"""What the classes that own a C handle share: `with` support, closing on
garbage collection, and loft.Closed for use after close()."""
from __future__ import annotations

from typing import Any

from .errors import Closed


class HandleOwner:
    """Subclasses set ``self._handle`` and define close() (which frees the
    handle once and sets it to None) and _closed_message()."""

    _handle: Any = None

    def close(self) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def _closed_message(self) -> str:
        return "the object is closed"

    @property
    def closed(self) -> bool:
        return self._handle is None

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass

    def _live(self) -> Any:
        """The handle; raises loft.Closed after close()."""
        if self._handle is None:
            raise Closed(self._closed_message())
        return self._handle
