"""The package version, in one place: ``pyproject.toml`` reads it, and so do the User-Agent,
``ncp_media_async.__version__`` and ``ncp-media --version``."""

__version__ = "1.0.1"
