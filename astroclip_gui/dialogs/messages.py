"""Error and information dialogs that never block the event loop (window-modal, opened)."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from astroclip_gui.workers import JobFailure


def show_error(parent: QWidget, title: str, message: str, details: str = "") -> QMessageBox:
    """An error dialog with optional details (e.g. a traceback); returns it (tests inspect it)."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok,
                      parent)
    box.setObjectName("errorDialog")
    if details:
        box.setDetailedText(details)
    box.open()
    return box


def show_failure(parent: QWidget, failure: JobFailure) -> QMessageBox:
    return show_error(parent, f"{failure.title} failed", failure.message, failure.details)


def show_info(parent: QWidget, title: str, message: str) -> QMessageBox:
    box = QMessageBox(QMessageBox.Icon.Information, title, message,
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("infoDialog")
    box.open()
    return box
