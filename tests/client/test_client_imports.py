"""The client is a read-only layer above the store: it never imports the engine."""

import subprocess
import sys


def test_client_never_imports_the_engine():
    code = (
        "import sys, dflow.client, dflow.client.display, dflow.client.pathspecs; "
        "bad = sorted(m for m in sys.modules if m.startswith(('dflow.engine', 'distributed')));"
        " print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
