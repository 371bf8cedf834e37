"""Shared fixtures: the project's own emulator, loaded as the pytest plugin users load."""

pytest_plugins = ["ncp_media_async.testing"]
