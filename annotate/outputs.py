"""All-or-nothing outputs: every file or folder a command writes is built aside and moved into place
only when complete, so a failed or interrupted run leaves what was there byte-identical.

- `atomic_file(path)`: a context manager yielding a file object; the file replaces `path` when the
  block ends without an exception, and is deleted otherwise.
- `write_atomic(path, data)`: the same for text or bytes already in memory.
- `replace_folder(final, build)`: `build(tmp)` writes a whole folder into a temporary sibling and
  returns what it wrote; the temporary folder then takes the place of `final` as a whole. A folder
  holding files annotate did not write is never replaced (UsageError, exit 2, naming them).
- `refuse_overwriting_inputs(outputs, inputs)`: UsageError when an output is one of the inputs.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from annotate.errors import InputError, UsageError

# Written into every folder replace_folder builds: the files annotate wrote there, so that a later
# run can tell them from files someone else put in the folder.
OUTPUTS_MANIFEST = ".annotate-outputs.json"


def _cannot_write(path: Path, exc: OSError) -> InputError:
    return InputError(f"cannot write {path}: {exc.strerror or exc}", hint="check the folder exists and is writable")


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _default_mode() -> int:
    return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_file(path: Path, *, binary: bool = False, encoding: str = "utf-8", mode: int | None = None
                ) -> Iterator[IO[Any]]:  # fmt: skip
    """Write `path` aside (a hidden temporary file in the same folder) and move it into place when
    the block completes; on any exception the temporary file is removed and `path` is untouched.
    The new file keeps the mode of the file it replaces (or gets `mode`: 0o600 for secrets, set
    before a byte is written); a symbolic link is kept and its target replaced; a device or pipe
    (/dev/stdout) is written directly. InputError if it cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name")
    if path.exists() and not path.is_file():  # /dev/stdout, a pipe: nothing to replace, write to it
        try:
            with open(path, "wb" if binary else "w", **({} if binary else {"encoding": encoding})) as fh:
                yield fh
        except OSError as exc:
            raise _cannot_write(path, exc) from None
        return
    if path.is_symlink():
        path = Path(os.path.realpath(path))  # replace the file the link points to, keep the link
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise _cannot_write(path, exc) from None
    tmp = Path(tmp_name)
    try:
        if mode is not None:
            os.chmod(tmp, mode)  # mkstemp made it 0600: a secret is never readable by others, even aside
        with os.fdopen(fd, "wb" if binary else "w", **({} if binary else {"encoding": encoding, "newline": ""})) as fh:
            yield fh
        try:
            kept = path.stat().st_mode & 0o7777 if path.exists() else _default_mode()
            os.chmod(tmp, mode if mode is not None else kept)
            os.replace(tmp, path)
        except OSError as exc:
            raise _cannot_write(path, exc) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: str | bytes, *, encoding: str = "utf-8", mode: int | None = None) -> Path:
    """Write text or bytes to `path` all-or-nothing (see atomic_file). Returns the path."""
    with atomic_file(path, binary=isinstance(data, bytes), encoding=encoding, mode=mode) as fh:
        fh.write(data)
    return path


def _listing(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _recorded_outputs(folder: Path) -> set[str]:
    try:
        recorded = json.loads((folder / OUTPUTS_MANIFEST).read_text(encoding="utf-8"))
        return {str(f) for f in recorded.get("files", [])}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


def foreign_files(final: Path, new_files: Iterable[str] = ()) -> list[str]:
    """Files in the existing folder `final` that annotate did not write: neither listed in its outputs
    manifest nor among `new_files` (relative paths the new build writes). Sorted."""
    if not final.is_dir():
        return []
    ours = _recorded_outputs(final) | set(new_files) | {OUTPUTS_MANIFEST}
    return sorted(_listing(final) - ours)


def replace_folder(final: Path, build: Callable[[Path], Iterable[Path]]) -> list[Path]:
    """Build a folder aside, then put it in place of `final` as a whole.

    `build(tmp)` receives an empty temporary folder beside `final` (same file system, an absolute
    path), writes every file into it and returns the paths it wrote (inside `tmp`, or relative to
    it); every file in `tmp` is recorded as annotate's, returned or not. It may read the existing `final`
    (to carry a file over): `final` is untouched until `build` returns. If `build` raises, the
    temporary folder is removed and the exception propagates; `final` is byte-identical.

    `final` is replaced only if every file in it was written by annotate (listed in its
    `.annotate-outputs.json`, or one the new build writes too); otherwise UsageError (exit 2)
    naming the other files. `final` must not be a file. Returns the written paths under `final`.
    """
    final = Path(final)
    if final.exists() and not final.is_dir():
        raise UsageError(f"{final} is a file, not a folder; give a folder name")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent)).resolve()
    except OSError as exc:
        raise _cannot_write(final, exc) from None
    old = None
    try:
        # What build returns, in its order, relative to tmp (a relative path is taken as one inside tmp).
        returned = [(Path(p) if Path(p).is_absolute() else tmp / p).resolve().relative_to(tmp).as_posix()
                    for p in build(tmp)]  # fmt: skip
        relative = sorted(_listing(tmp))  # every file written, returned or not
        foreign = foreign_files(final, relative)
        if foreign:
            shown = ", ".join(foreign[:10]) + (f" and {len(foreign) - 10} more" if len(foreign) > 10 else "")
            raise UsageError(
                f"{final} holds files annotate did not write ({shown}); not replacing it",
                hint="choose another output folder, or move those files away",
            )
        (tmp / OUTPUTS_MANIFEST).write_text(json.dumps({"files": relative}, indent=1) + "\n", encoding="utf-8")
        os.chmod(tmp, _folder_mode(final))
        if final.exists():
            old = final.with_name(f".{final.name}.{os.getpid()}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.rename(final, old)
        try:
            os.rename(tmp, final)
        except OSError:
            if old is not None:
                os.rename(old, final)  # put the previous folder back
                old = None
            raise
    except OSError as exc:
        raise _cannot_write(final, exc) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    return [final / r for r in dict.fromkeys(returned)]


def _folder_mode(final: Path) -> int:
    return final.stat().st_mode & 0o7777 if final.is_dir() else 0o777 & ~_umask()


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return a.samefile(b)
    except OSError:
        pass
    return a.resolve() == b.resolve()


def refuse_overwriting_inputs(outputs: dict[str, Path | None], inputs: Iterable[Path | str]) -> None:
    """UsageError (exit 2) when an output (named by its option, e.g. {"-o": path}) is one of the
    inputs, or two outputs are the same file."""
    named = [(option, Path(path)) for option, path in outputs.items() if path is not None]
    sources = [Path(p) for p in inputs if str(p) != "-"]
    for option, path in named:
        for source in sources:
            if _same_file(path, source):
                raise UsageError(f"{option} {path} is also an input; writing it would destroy that input",
                                 hint=f"give {option} another file name")  # fmt: skip
    for i, (option, path) in enumerate(named):
        for other_option, other in named[i + 1 :]:
            if _same_file(path, other):
                raise UsageError(f"{option} and {other_option} are the same file ({path})",
                                 hint=f"give {other_option} another file name")  # fmt: skip
