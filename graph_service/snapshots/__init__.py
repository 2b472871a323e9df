"""Graph snapshots: the whole graph or a subject's neighbourhood as JSON Lines (docs/snapshots.md), to move
between backends, back up, and exchange cases."""

from graph_service.snapshots.exporter import ExportSummary, export_snapshot, export_to_path, resolve_subject
from graph_service.snapshots.format import FORMAT, VERSION, End, Header, SnapshotError
from graph_service.snapshots.importer import (
    ImportSummary,
    KindCounts,
    LineSource,
    Reject,
    file_lines,
    import_file,
    import_snapshot,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "End",
    "ExportSummary",
    "Header",
    "ImportSummary",
    "KindCounts",
    "LineSource",
    "Reject",
    "SnapshotError",
    "export_snapshot",
    "export_to_path",
    "file_lines",
    "import_file",
    "import_snapshot",
    "resolve_subject",
]
