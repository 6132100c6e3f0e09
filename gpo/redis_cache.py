"""Django's Redis cache with one client per connection pool (issue 16).

Django's `RedisCacheClient` builds a new `redis.Redis` for every cache operation, and building one fills its table
of response callbacks (a few hundred entries): on a cached figure's read that cost more than the read itself. A
`redis.Redis` is safe to share between threads (it takes a connection from its pool for each command), so one is
kept per pool. Settings select this backend for `redis://` cache URLs.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django_client: Any = self  # the stubs leave out the private helpers used here
        index = django_client._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = django_client._get_connection_pool(write)
            client = self._clients[index] = django_client._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
