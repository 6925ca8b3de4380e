"""The engine must never import Qt: checked in a fresh interpreter."""

import subprocess
import sys


def test_engine_imports_no_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "import astroclip_engine\n"
        "for m in pkgutil.walk_packages(astroclip_engine.__path__, 'astroclip_engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "qt = ('PySide6', 'pyqtgraph', 'astroclip_gui')\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
