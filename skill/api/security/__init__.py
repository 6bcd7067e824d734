"""Who may call the REST API, how often, and with what bodies.

- ``auth``: the ``Authenticator`` port, the static-token adapter (local demo only), and
  ``ApiAuth``, which every ``/v1`` route calls first (401, 429, 403 in that order).
- ``jwt_auth`` and ``jwks``: bearer JWTs verified against the issuer's JWKS (expiry, issuer,
  audience, scopes; key rotation through one rate-limited refetch).
- ``rate_limit``: the ``RateLimiter`` port and its in-process token bucket;
  ``redis_rate_limit``: the same shared by several workers through Redis.
- ``depth_guard``: ASGI middleware refusing JSON nested too deep before anything parses it.
"""
