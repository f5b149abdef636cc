"""The bridge to the toolkit: every algorithm runs the project's own command line, ``spatial-poverty``, from the
project's environment, in a child process.

Why a child process and not an import: QGIS's Python is the system interpreter, with the system's numpy, GDAL
and Qt; the toolkit's environment pins its own (numba, pysal, pyogrio with its own GDAL). Importing one into the
other mixes binary modules of different builds. The command line is the toolkit's public, tested interface: the
same arguments give the same files and the same numbers as at the terminal (same seed, same p-values), and a
crash stays in the child.

Where the command is found, first match wins:

1. the environment variable ``SPATIAL_POVERTY_CLI`` (headless runs, CI);
2. Processing > Options > Providers > Spatial poverty > "spatial-poverty command" (set once);
3. ``spatial-poverty`` on the PATH.
"""

import json
import os
import shutil
import subprocess

from qgis.core import QgsProcessingException

SETTING = "SPATIAL_POVERTY_CLI"
ENV = "SPATIAL_POVERTY_CLI"
PROVIDER_ID = "spatial_poverty"


def configured_cli():
    """The configured command, or '' when none is set."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    try:
        from processing.core.ProcessingConfig import ProcessingConfig

        value = ProcessingConfig.getSetting(SETTING)
    except (ImportError, KeyError):
        value = None
    if value:
        return str(value)
    return shutil.which("spatial-poverty") or ""


def cli_path():
    """The command to run; a clear error when it is not set or not there."""
    path = configured_cli()
    if not path:
        raise QgsProcessingException(
            "The spatial-poverty command is not set: in Processing > Options > Providers > Spatial poverty, set "
            "'spatial-poverty command' to the project's .venv/bin/spatial-poverty (after 'make setup'), or set "
            "the environment variable SPATIAL_POVERTY_CLI."
        )
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise QgsProcessingException(
            f"The spatial-poverty command {path!r} does not exist or is not executable; set the path of the "
            "project's .venv/bin/spatial-poverty in Processing > Options > Providers > Spatial poverty."
        )
    return path


def _child_env():
    """QGIS's environment without what would make the child import QGIS's Python modules instead of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_cli(args, feedback, summary_file=None):
    """Run ``spatial-poverty ARGS``; return its standard output parsed as JSON (or the JSON file
    ``summary_file`` the command writes). The command line and its log go to the Processing log; a non-zero exit
    raises with the command's own message (file, field, value)."""
    command = [cli_path(), *[str(a) for a in args]]
    feedback.pushCommandInfo(" ".join(command))
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=_child_env()
    )
    while True:
        try:
            out, err = proc.communicate(timeout=0.5)
            break
        except subprocess.TimeoutExpired:
            if feedback.isCanceled():
                proc.kill()
                proc.communicate()
                raise QgsProcessingException("Cancelled") from None
    for line in err.splitlines():
        feedback.pushConsoleInfo(line)
    if proc.returncode != 0:
        raise QgsProcessingException(
            f"spatial-poverty stopped with exit code {proc.returncode}: {err.strip()[-2000:] or out.strip()[-2000:]}"
        )
    if summary_file is not None:
        feedback.pushInfo(out.strip())
        with open(summary_file, encoding="utf-8") as f:
            return json.load(f)
    try:
        return json.loads(out)
    except ValueError as exc:
        raise QgsProcessingException(f"spatial-poverty printed no JSON summary: {out[-500:]!r}") from exc
