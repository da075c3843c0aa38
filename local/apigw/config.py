"""An HTTP API's configuration, as API Gateway v2 describes it: stages, routes, integrations, authorizers
and CORS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# How long the API front serves a configuration (and a function's resource policy) before reading it again:
# a `terraform apply` takes effect without a restart.
CONFIG_TTL_S = 1.0


@dataclass(frozen=True)
class Route:
    key: str
    target: str | None
    authorization_type: str
    authorizer_id: str | None
    scopes: tuple[str, ...]

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0] if self.key != "$default" else "ANY"

    @property
    def segments(self) -> list[str]:
        return self.key.split(" ", 1)[1].strip("/").split("/") if self.key != "$default" else []


@dataclass(frozen=True)
class ApiConfig:
    api_id: str
    name: str
    cors: dict[str, Any] | None
    stages: dict[str, dict[str, Any]]
    routes: list[Route]
    integrations: dict[str, dict[str, Any]]
    authorizers: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, apigw: Any, api_id: str) -> ApiConfig:
        api = apigw.get_api(ApiId=api_id)
        routes = [
            Route(
                key=item["RouteKey"],
                target=item.get("Target"),
                authorization_type=item.get("AuthorizationType", "NONE"),
                authorizer_id=item.get("AuthorizerId"),
                scopes=tuple(item.get("AuthorizationScopes") or ()),
            )
            for item in all_items(apigw.get_routes, ApiId=api_id)
        ]
        return cls(
            api_id=api_id,
            name=api.get("Name", ""),
            cors=api.get("CorsConfiguration") or None,
            stages={stage["StageName"]: stage for stage in all_items(apigw.get_stages, ApiId=api_id)},
            routes=routes,
            integrations={i["IntegrationId"]: i for i in all_items(apigw.get_integrations, ApiId=api_id)},
            # Read one by one: moto does not implement GetAuthorizers.
            authorizers={
                authorizer_id: apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id)
                for authorizer_id in {route.authorizer_id for route in routes if route.authorizer_id}
            },
        )


def all_items(operation: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a paginated API Gateway v2 list operation (GetRoutes, GetStages, ...)."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        page = operation(**kwargs, **({"NextToken": token} if token else {}))
        items.extend(page.get("Items", []))
        token = page.get("NextToken")
        if not token:
            return items
