"""HTTP layer: routers, request/response models, error handling. No math lives here."""
