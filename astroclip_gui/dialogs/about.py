"""About box: versions and the acknowledgements the data and methods ask for."""

from __future__ import annotations

import platform

import numpy as np
import pyqtgraph as pg
import PySide6
from PySide6.QtWidgets import QMessageBox, QWidget

from astroclip_engine import __version__

ACKNOWLEDGEMENTS = """
<p><b>Methods.</b> AstroCLIP: Parker, Lanusse, Golkar et al. (2024), <i>AstroCLIP: a cross-modal
foundation model for galaxies</i>, MNRAS 531, 4990. Image encoder after Stein et al. (2021),
<i>Self-supervised similarity search for large scientific datasets</i>. Spectrum encoder after
spender: Liang &amp; Melchior et al. (2023), AJ 166, 75.</p>
<p><b>DESI.</b> This app can show data from the Dark Energy Spectroscopic Instrument (DESI).
DESI is supported by the U.S. Department of Energy Office of Science and the National Energy
Research Scientific Computing Center, and by the other DESI funding agencies.</p>
<p><b>Legacy Surveys.</b> Images from the DESI Legacy Imaging Surveys (DECaLS, BASS, MzLS), a
project of NOIRLab, LBNL and the DESI collaboration.</p>
"""


def about_html() -> str:
    import astropy
    import h5py
    import torch

    versions = {
        "AstroCLIP Studio": __version__, "Python": platform.python_version(),
        "PySide6": PySide6.__version__, "pyqtgraph": pg.__version__, "numpy": np.__version__,
        "h5py": h5py.__version__, "astropy": astropy.__version__, "torch": torch.__version__,
    }
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions.items())
    return (f"<h3>AstroCLIP Studio {__version__}</h3><p>Train cross-modal galaxy models and "
            f"explore what they learned.</p><table>{rows}</table>{ACKNOWLEDGEMENTS}")


def show_about(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle("About AstroCLIP Studio")
    box.setText(about_html())
    box.setObjectName("aboutDialog")
    box.open()
    return box
