"""The HTTP API: Litestar routes, request and response models, problems, readiness."""
