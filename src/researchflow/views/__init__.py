"""The portfolio and its views: status, board, digest, the report, the export record."""
