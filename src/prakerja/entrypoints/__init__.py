"""Modules that other programs import to start a process of the service: the ASGI
server (``uvicorn --factory prakerja.entrypoints.asgi:app_from_environment``) and
Dramatiq's worker (``dramatiq prakerja.entrypoints.worker``). Each builds the service
through :mod:`prakerja.bootstrap`; nothing below this layer does.
"""
