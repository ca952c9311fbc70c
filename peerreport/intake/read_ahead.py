"""An import's reading stage in a second process, reading ahead while the first one writes.

Reading and checking rows (`intake.reading`) and writing them (`intake.importer`)
each take about half of a large import's time, and Python runs one of them at a
time in a process. `ReadAhead` forks a child process that runs the reading stage
over every file of the import, in order, and sends its actions down a pipe, while
the importer carries out the ones it has. On two cores a large import takes the
time of the longer stage, not the sum.

- **The same import.** The child runs the same `ReadingStage` as the importer
  would in its own process, so the actions, and so the report, the rejects files
  and the records stored, are the same (the tests compare them). The importer
  still opens each file itself, for its headings (what a row's cell is called,
  which columns are refused); only the child reads rows.
- **Each file's actions end** with `FileDone`, or with `Refused` where the file
  was refused part way (a limit). The importer reads a file's actions up to
  that end whatever happens to the file on its side (`finish_file`), so the next
  file starts where its own actions do; every action is sent with its file's
  number and a mismatch is an error, never a misplaced row.
- **Errors.** An exception in the child is sent, and raised in the importer
  where the reading would have raised it. A child that dies without a word
  (killed, out of memory) is an error naming its exit status. The importer's
  transaction is rolled back either way.
- **Bounded.** The child keeps at most `_QUEUED` actions waiting for the pipe
  (a thread writes them): a child that gets that far ahead waits for the
  importer, so memory does not grow with the file.
- **Work goes to the side with time for it.** Once `_BEHIND` actions wait, the
  importer is the slower of the two, and the child also does some of the
  importer's work on each action before sending it (`prepare`: the import's
  `Importer._digest` hashes a batch's member tokens and works out its records'
  digests, byte for byte as the importer would). When the importer keeps up,
  the reading is the slower side, and the child leaves that work to the
  importer. Writing activities into SQLite the importer is behind; reading
  breakdowns, the child is. (300,000 activities and their breakdowns into
  SQLite, three interleaved runs each: 15.9-16.4 s, against 18.0-18.7 s with
  the importer doing it all.)
- **When.** Only by `fork`, and only on Linux (macOS's system libraries are not
  safe to use in a forked child, and Windows cannot fork); only from a process
  with one thread (a fork copies only the calling thread: a lock another thread
  held stays locked in the child); and only for files past `READ_AHEAD_BYTES`,
  where the gain is worth a process. Elsewhere the importer reads in its own
  process, as it does for small files.
- **Nothing of the parent's is touched.** The importer forks before it takes a
  connection; the child never uses the connections it inherits, and leaves by
  `os._exit`, so nothing of the parent's (buffers, connections, temporary
  files) is flushed or closed by it. Objects the parent holds are frozen for
  the collector first (`gc.freeze`), so the child never finalises them either.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from peerreport.findings import Finding
from peerreport.intake.limits import InputRefused
from peerreport.intake.reading import Action, FileDone, ReadingStage

__all__ = ["READ_AHEAD_BYTES", "ReadAhead"]

#: Files of an import, together, at least this large are read in a second process: about
#: 30,000 activities. Below it the second process does not pay for itself (medians of 5 on
#: two cores, SQLite: 10,000 activities and their breakdowns, 1.4 MB, 1.09 s reading ahead
#: against 1.02 s not; 30,000, 4.2 MB, 1.46 s against 1.63 s).
READ_AHEAD_BYTES = 4 << 20
#: The pipe's buffer on each side.
_BUFFER = 1 << 20
_PR_SET_PDEATHSIG = 1  # prctl(2)
#: Actions the child keeps pickled while the importer is busy: how far it may get ahead (a
#: `Flush` of `BATCH_SIZE` activities is about 200 kB).
_QUEUED = 64
#: Actions queued from which the importer counts as behind, so that the reader takes on work
#: the importer would otherwise do (`ReadAhead.start`'s `prepare`).
_BEHIND = 16


@dataclass
class Refused:
    """The file was refused (`InputRefused`) while it was read; its actions end here."""

    finding: Finding


@dataclass
class Failed:
    """The reading stopped with an error; nothing follows."""

    error: BaseException | None
    text: str


class ReadAhead:
    """The child process reading an import's files, seen from the importer."""

    def __init__(self, pid: int, pipe: IO[bytes]) -> None:
        self.pid = pid
        self.pipe = pipe
        self.ended = -1  # the last file whose actions were all read
        self.failed: BaseException | None = None

    @classmethod
    def start(
        cls,
        stage: ReadingStage,
        paths: list[Path],
        prepare: Callable[[object], None] | None = None,
    ) -> ReadAhead | None:
        """Fork the reader of `paths` (None where this process cannot fork safely); the
        reader calls `prepare` on each action before sending it (work moved off the
        importer)."""
        if not sys.platform.startswith("linux") or not _one_thread():
            return None
        readable, writable = os.pipe()
        parent = os.getpid()
        frozen = gc.get_freeze_count()  # a caller's own frozen objects stay frozen
        gc.freeze()  # the child never collects (so never finalises) what the parent holds
        try:
            pid = os.fork()
        except OSError:
            if not frozen:
                gc.unfreeze()
            os.close(readable)
            os.close(writable)
            return None
        if pid == 0:  # the child
            code = 1
            try:
                os.close(readable)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # the importer stops it
                _die_with(parent)
                with open(writable, "wb", buffering=_BUFFER) as out:
                    _send_all(stage, paths, out, prepare)
                code = 0
            finally:
                os._exit(code)
        if not frozen:
            gc.unfreeze()
        os.close(writable)
        return cls(pid, open(readable, "rb", buffering=_BUFFER))

    def file(self, index: int) -> Iterator[Action]:
        """The actions of file `index`, up to its `FileDone`; its refusal is raised."""
        while True:
            sent, action = self._receive()
            if sent != index:
                raise RuntimeError(f"the import's reading sent file {sent + 1}, not {index + 1}")
            if isinstance(action, Refused):
                self.ended = index
                raise InputRefused(action.finding)
            if isinstance(action, FileDone):
                self.ended = index
                yield action
                return
            yield action

    def finish_file(self, index: int) -> None:
        """Read what is left of file `index`'s actions (after the importer stopped early)."""
        while self.ended < index and self.failed is None:
            sent, action = self._receive()
            if isinstance(action, Refused | FileDone):
                self.ended = sent

    def _receive(self) -> tuple[int, Any]:
        if self.failed is not None:
            raise self.failed
        try:
            sent, action = pickle.load(self.pipe)
        except Exception as cut:  # the pipe closed, or a pickle cut short by a kill
            self.failed = RuntimeError(
                f"the process reading the import's files stopped ({self._status()})"
            )
            raise self.failed from cut
        if isinstance(action, Failed):
            error = action.error or RuntimeError(action.text)
            if action.error is not None:  # where the reading process raised it, for crash logs
                error.add_note("raised while reading, in the import's reading process:")
                error.add_note(action.text)
            self.failed = error
            raise error
        return sent, action

    def _status(self) -> str:
        """How the child ended, once it has (stopped here if it still runs a second on)."""
        for _ in range(100):
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.01)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
            return "it sent something unreadable, and was stopped"
        self.pid = 0
        if os.WIFSIGNALED(status):
            return f"signal {os.WTERMSIG(status)}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def close(self) -> None:
        """Stop the child if it still runs, and wait for it."""
        self.pipe.close()
        if self.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)  # done, or no longer wanted
            with contextlib.suppress(ChildProcessError):  # reaped already (SIGCHLD ignored)
                os.waitpid(self.pid, 0)
            self.pid = 0


def _die_with(parent: int) -> None:
    """Have the kernel kill this child when the importer dies (Linux's PR_SET_PDEATHSIG), so
    a killed import leaves no process reading on; if it died already, end now."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)


class _Stopped(Exception):
    """The importer no longer reads the pipe: the child stops reading too."""


def _one_thread() -> bool:
    """Is the calling thread this process's only one (so it can be forked safely)?"""
    return threading.active_count() == 1


def _send_all(
    stage: ReadingStage,
    paths: list[Path],
    out: IO[bytes],
    prepare: Callable[[object], None] | None = None,
) -> None:
    """The child's work: every file's actions, each with its file's number.

    The actions are pickled here and written to the pipe by a thread of their own, through
    a queue of up to `_QUEUED` of them: the reading goes on while a write waits for the
    importer (which writes a batch in the time this reads several), instead of the two
    taking turns a pipe's buffer at a time. Writing to the pipe lets go of Python's lock.
    """
    queued: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
    broken = threading.Event()

    def write() -> None:
        while (data := queued.get()) is not None:
            if broken.is_set():
                continue  # drain, so the reading side never waits on a full queue
            try:
                out.write(data)
            except BaseException:  # the importer stopped reading (or the pipe failed)
                broken.set()
        if not broken.is_set():
            try:
                out.flush()
            except BaseException:
                broken.set()

    writer = threading.Thread(target=write, name="read-ahead-writer", daemon=True)
    writer.start()

    def send(index: int, action: Any) -> None:
        if broken.is_set():
            raise _Stopped
        queued.put(pickle.dumps((index, action), protocol=pickle.HIGHEST_PROTOCOL))

    try:
        for index, path in enumerate(paths):
            try:
                for action in stage.actions_of(path):
                    if prepare is not None and queued.qsize() >= _BEHIND:
                        prepare(action)  # the importer is behind: take work off it
                    send(index, action)
            except InputRefused as refusal:
                send(index, Refused(refusal.finding))
    except _Stopped:
        pass
    except BaseException as exc:
        text = "".join(traceback.format_exception(exc))
        with contextlib.suppress(_Stopped):
            send(-1, Failed(_portable(exc), text))
    finally:
        queued.put(None)
        writer.join()
    if broken.is_set():
        raise _Stopped  # an exit status that says the actions did not all go


def _portable(error: BaseException) -> BaseException | None:
    """`error` if the importer can unpickle it as it is (some exceptions pickle, but their
    own `__init__` refuses the arguments pickle gives back); None, for its text alone."""
    try:
        copy = pickle.loads(pickle.dumps(error))
    except Exception:
        return None
    return error if type(copy) is type(error) else None
