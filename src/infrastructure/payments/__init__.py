"""Payment gateways: Stripe through its official SDK, and an in-memory fake that behaves alike."""
