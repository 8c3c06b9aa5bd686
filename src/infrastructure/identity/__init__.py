"""Sign-in adapters: argon2id password hashes, PyJWT access tokens, security event lines."""
