"""Users and sign-in: registration, sessions (access + rotating refresh tokens), staff."""
