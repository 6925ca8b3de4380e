"""Console logging and warnings for the `astroclip` command: one line per event.

Called once by `cli.main` (the command-line boundary; library code configures nothing):

- the engine's records go to one stderr handler on the root logger;
- Lightning adds its own console handler to the `lightning` logger when it is imported, and
  its records would also reach the root handler: `lightning` stops propagating, so each of
  its lines is printed once, by its own handler (the run's train.log handler still gets them);
- Lightning's product adverts ("Tip: ... try installing litlogger / litmodels") are dropped at
  the loggers that emit them;
- third-party DeprecationWarning / FutureWarning / UserWarning (Lightning's PossibleUserWarning
  included) are hidden; the engine's own warnings still show.

`-v/--verbose` shows everything: debug records, the adverts and every warning.
"""

from __future__ import annotations

import logging
import sys
import warnings
from typing import TextIO

ENGINE_FORMAT = "%(levelname)s %(name)s: %(message)s"
LIGHTNING_LOGGER = "lightning"
ADVERT_LOGGERS = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
ADVERT_MARKERS = ("💡 Tip:", "litlogger", "litmodels")
NOISY_WARNINGS = (DeprecationWarning, FutureWarning, UserWarning)
OWN_MODULES = r"(?!astroclip_engine|astroclip_gui|__main__)"
"""A `warnings` module pattern matching every module but ours (a negative look-ahead)."""


class _StderrHandler(logging.StreamHandler):
    """A console handler writing to the current `sys.stderr` (which tests may swap)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class AdvertFilter(logging.Filter):
    """Drops records that advertise a product instead of reporting an event."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(marker in message for marker in ADVERT_MARKERS)


_ADVERT_FILTER = AdvertFilter()
_verbose_process = [False]
"""Set by the first verbose call: the demo's inner commands keep `astroclip -v demo`'s choice."""


def configure_logging(verbose: bool = False) -> None:
    """Set up console logging and warning filters for one `astroclip` process (idempotent:
    the demo runs other commands through `cli.main` in the same process)."""
    verbose = _verbose_process[0] = verbose or _verbose_process[0]
    root = logging.getLogger()
    if not root.handlers:  # as logging.basicConfig: a host (pytest, the GUI) keeps its own
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(ENGINE_FORMAT))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
    if verbose:
        root.setLevel(logging.DEBUG)
    # Lightning's own console handler lives on "lightning"; its children propagate to it
    # (or, imported before any root handler existed, print through their own and stop).
    logging.getLogger(LIGHTNING_LOGGER).propagate = False
    for name in ADVERT_LOGGERS:
        logger = logging.getLogger(name)
        if verbose:
            logger.removeFilter(_ADVERT_FILTER)
        else:
            logger.addFilter(_ADVERT_FILTER)
    if not verbose:
        quiet_third_party_warnings()


def quiet_third_party_warnings() -> None:
    """Hide deprecation and advisory warnings raised by other packages (not ours)."""
    for category in NOISY_WARNINGS:
        warnings.filterwarnings("ignore", category=category, module=OWN_MODULES)
