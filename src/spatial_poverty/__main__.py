"""``python -m spatial_poverty`` runs the command-line interface."""

from spatial_poverty.cli.main import app

app()
