"""The Jupyter kernel the report's notebooks run in, and its output kept out of the user's terminal.

With no ``--kernel`` the notebooks run in a kernel of the interpreter running
ssi-kit (``sys.executable -m ipykernel_launcher``): nothing has to be registered,
and a kernel spec that starts whatever ``python`` comes first on ``PATH`` is never
used.  A named kernel runs as registered.

Either way the kernel process writes its own output (its log lines such as
"Kernel is running over TCP without encryption" or "KeyboardInterrupt caught in
kernel") into a log in a private temporary folder instead of the terminal; the
log's tail is shown only when the kernel dies.  The interpreter's kernel talks
over IPC sockets in that folder (POSIX), reachable by this user only, instead of
TCP ports on localhost.  The folder is removed when the notebook is done.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

__all__ = ["NotebookKernel", "interpreter_kernel_spec", "KERNEL_LOG"]

#: File name of the kernel's own output in the run's private temporary folder.
KERNEL_LOG = "kernel.log"
#: Characters of the kernel log quoted when the kernel dies.
_TAIL_CHARS = 1500


def interpreter_kernel_spec():
    """A kernel spec that runs ipykernel in this interpreter.

    Returns
    -------
    jupyter_client.kernelspec.KernelSpec
        ``argv`` is ``[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]``.
    """
    from jupyter_client.kernelspec import KernelSpec

    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                      display_name=f"Python {sys.version_info.major}.{sys.version_info.minor} (ssi-kit)",
                      language="python", metadata={"debugger": False})


def _manager_class(folder: Path, interpreter: bool):
    """A KernelManager class whose kernels log into ``folder`` (and use IPC there when ``interpreter``)."""
    from jupyter_client.manager import AsyncKernelManager

    ipc = interpreter and os.name == "posix"

    class _RunKernelManager(AsyncKernelManager):
        """Kernel manager of one notebook run (see :mod:`ssi_kit.report.kernel`)."""

        def __init__(self, **kwargs):
            kwargs["connection_file"] = str(folder / "kernel.json")
            if ipc:
                kwargs.update(transport="ipc", ip=str(folder / "kernel"))
            super().__init__(**kwargs)

        @property
        def kernel_spec(self):
            if interpreter and self._kernel_spec is None:
                self._kernel_spec = interpreter_kernel_spec()
            return super().kernel_spec

        @property
        def ipykernel(self) -> bool:  # nbclient then keeps IPython's history in memory
            return interpreter or super().ipykernel

        async def _async_launch_kernel(self, kernel_cmd, **kw):
            with open(folder / KERNEL_LOG, "ab") as log:  # the child keeps its own copy of the handle
                kw.update(stdout=log, stderr=log, stdin=None)
                await super()._async_launch_kernel(kernel_cmd, **kw)

    return _RunKernelManager


class NotebookKernel:
    """The kernel the report's notebooks run in: this interpreter's, or a registered one.

    Parameters
    ----------
    name : str, optional
        A registered Jupyter kernel (``--kernel``); None runs this interpreter.
    """

    def __init__(self, name: str | None = None):
        self.name = name or None

    def __repr__(self) -> str:
        return f"NotebookKernel({self.name!r})"

    def execute(self, source, output, **papermill_kwargs):
        """Run one notebook with :func:`papermill.execute_notebook` in a fresh kernel.

        Parameters
        ----------
        source, output : str
            Notebook to run and where papermill writes the executed copy.
        **papermill_kwargs
            Passed on (``cwd``, ``parameters``, ``progress_bar``, ...).

        Raises
        ------
        papermill.PapermillExecutionError
            When a cell raises, and also when the kernel dies or cannot start
            (``ename`` ``KernelDied``, the kernel log's tail in ``evalue``).
        """
        import papermill as pm

        with tempfile.TemporaryDirectory(prefix="ssi-kit-kernel-") as folder:
            manager = _manager_class(Path(folder), interpreter=self.name is None)
            try:
                return pm.execute_notebook(source, output, kernel_name=self.name,
                                           kernel_manager_class=manager, **papermill_kwargs)
            except pm.PapermillExecutionError:
                raise
            except (RuntimeError, TimeoutError) as err:  # DeadKernelError is a RuntimeError
                raise _died(err, Path(folder) / KERNEL_LOG) from err


def _died(err: BaseException, log: Path):
    """A PapermillExecutionError for a kernel that died or never started, quoting its log."""
    from papermill.exceptions import PapermillExecutionError

    tail = _tail(log)
    why = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
    evalue = f"the kernel stopped ({why})" + (f"; its last output: {tail}" if tail else "")
    return PapermillExecutionError(cell_index=-1, exec_count=None, source="", ename="KernelDied",
                                   evalue=evalue, traceback=[])


def _tail(log: Path) -> str:
    """The end of the kernel log, on one line (empty when there is none)."""
    try:
        text = log.read_bytes()[-_TAIL_CHARS:].decode("utf-8", "replace")
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text.splitlines() if line.strip())
