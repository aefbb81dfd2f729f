"""Register each API operation under both URL families of the product documents.

UC-006 documents `/api/partner-gateway/v1/...`; the campaign guide documents the
short `/api/...`. One handler serves both; only the first is in the OpenAPI schema,
so the docs show each operation once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ninja import Router


class DualRouter:
    """A pair of ninja routers fed by the same decorators."""

    def __init__(self, *, tags: list[str]) -> None:
        self.v1 = Router(tags=tags)
        self.short = Router(tags=tags)

    def api_operation(
        self, methods: list[str], path: str, **kwargs: Any
    ) -> Callable[[Callable], Callable]:
        def register(view: Callable) -> Callable:
            self.v1.add_api_operation(path, methods, view, **kwargs)
            self.short.add_api_operation(
                path,
                methods,
                view,
                **{**kwargs, "operation_id": f"short_{view.__name__}"},
                include_in_schema=False,
            )
            return view

        return register

    def get(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        return self.api_operation(["GET"], path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        return self.api_operation(["POST"], path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        return self.api_operation(["PUT"], path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        return self.api_operation(["PATCH"], path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Callable[[Callable], Callable]:
        return self.api_operation(["DELETE"], path, **kwargs)
