"""AstroCLIP Studio desktop app (PySide6 + pyqtgraph); imports the engine, never the reverse."""
