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


def test_every_client_name_is_what_it_names_whatever_was_imported_first():
    # dflow.client loads its modules when a name is first used; a module of the package
    # imported before must not shadow a name of the same spelling (it did for metadata).
    code = (
        "import importlib, pkgutil, types, dflow.client as c\n"
        "for m in pkgutil.iter_modules(c.__path__):\n"
        "    importlib.import_module(f'dflow.client.{m.name}')\n"
        "bad = [n for n in c.__all__ if isinstance(getattr(c, n), types.ModuleType)]\n"
        "light = __import__('subprocess').run([__import__('sys').executable, '-c',\n"
        "    'import sys, dflow.client.timefmt; print(\"dflow.store\" in sys.modules)'],\n"
        "    capture_output=True, text=True).stdout.strip()\n"
        "print(bad, light)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["[]", "False"]  # and one small module stays light
