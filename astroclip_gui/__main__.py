"""Entry point of `python -m astroclip_gui` and of the packaged app.

`astroclip-studio --engine ARGS` runs the engine CLI (`astroclip ARGS`) from the same executable:
the packaged app starts its training and analysis child processes this way.
"""

from __future__ import annotations

import sys


def run(argv: list[str]) -> int:
    if argv[:1] == ["--engine"]:
        from astroclip_engine.cli import main as engine_main

        return engine_main(argv[1:])
    from astroclip_gui.app import main as app_main

    return app_main(argv)


if __name__ == "__main__":
    code = run(sys.argv[1:])
    if sys.argv[1:2] != ["--engine"]:
        from astroclip_gui.app import exit_without_teardown

        exit_without_teardown(code)
    sys.exit(code)
