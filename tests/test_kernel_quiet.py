"""The report's kernel: this interpreter's when none is named, its own output kept out of the
terminal, and its last words shown when it dies."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from ssi_kit.report.kernel import NotebookKernel, interpreter_kernel_spec

#: A notebook that reports which interpreter and transport run it, and writes noise to fd 2.
PROBE = """\
import json, os, sys
from ipykernel.kernelapp import IPKernelApp
os.write(2, b"kernel noise on stderr\\n")
print(json.dumps({"executable": sys.executable, "transport": IPKernelApp.instance().transport}))
"""
#: A notebook whose kernel dies after a last line on stderr.
DIES = """\
import os
os.write(2, b"last words before dying\\n")
os._exit(3)
"""

def _notebook(path: Path, code: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code)]
    nb.metadata["kernelspec"] = {"name": "no-such-kernel", "display_name": "x", "language": "python"}
    nbformat.write(nb, path)
    return path


def _run(tmp_path: Path, capfd, code: str, kernel: str | None = None):
    """Run ``code`` as a notebook; return (error or None, what reached fds 1 and 2, output path)."""
    src, out = _notebook(tmp_path / "in.ipynb", code), tmp_path / "out.ipynb"
    capfd.readouterr()
    try:
        NotebookKernel(kernel).execute(str(src), str(out), cwd=str(tmp_path), progress_bar=False)
        error = None
    except PapermillExecutionError as err:
        error = err
    captured = capfd.readouterr()
    return error, captured.out + captured.err, out


def _probe_output(out: Path) -> dict:
    nb = nbformat.read(out, as_version=4)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("name") == "stdout")
    return json.loads(text)


def test_the_default_spec_runs_this_interpreter():
    spec = interpreter_kernel_spec()
    assert spec.argv[:3] == [sys.executable, "-m", "ipykernel_launcher"]
    assert "{connection_file}" in spec.argv and spec.language == "python"


def test_default_kernel_is_this_interpreter_over_ipc_and_prints_nothing(tmp_path, capfd):
    """The notebook names a kernel that does not exist: the interpreter's kernel runs it anyway."""
    error, printed, out = _run(tmp_path, capfd, PROBE)
    assert error is None and printed == ""
    seen = _probe_output(out)
    assert Path(seen["executable"]) == Path(sys.executable)
    assert seen["transport"] == "ipc"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.ipynb", "out.ipynb"]  # no kernel files left


def test_a_named_kernel_still_runs_as_registered_and_quietly(tmp_path, capfd):
    from jupyter_client.kernelspec import KernelSpecManager

    names = KernelSpecManager().find_kernel_specs()
    name = "ssi-kit" if "ssi-kit" in names else None
    if name is None:
        pytest.skip("no ssi-kit kernel registered (make setup registers it)")
    error, printed, out = _run(tmp_path, capfd, PROBE, kernel=name)
    assert error is None and printed == ""
    assert _probe_output(out)["transport"] == "tcp"  # a registered kernel keeps its transport


def test_a_dying_kernel_fails_the_notebook_with_its_last_words(tmp_path, capfd):
    error, printed, _ = _run(tmp_path, capfd, DIES)
    assert printed == ""  # the kernel's own output went to its log
    assert error.ename == "KernelDied" and error.evalue.startswith("the kernel stopped")
    assert "last words before dying" in error.evalue


def test_the_kernel_name_is_kept():
    assert NotebookKernel(None).name is None and NotebookKernel("").name is None
    assert NotebookKernel("ssi-kit").name == "ssi-kit"
