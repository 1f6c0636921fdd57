"""Usage reports for hosts and the district federation: figures, SVG charts and CSV exports."""
