"""``python -m ncp_media_async``: the ``ncp-media`` command."""

from .cli import main

if __name__ == "__main__":
    main()
