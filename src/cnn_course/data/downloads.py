"""Cached, hash-checked downloads that try the next mirror when a source is slow or down.

``keras.utils.get_file`` caches and checks hashes too, but it has no timeout and no notion
of a slow source: a throttled host (CIFAR-10's has been seen at tens of kB/s) would hang a
workshop. Here each source gets a connection timeout and, when another source is left, a
minimum speed; the file is written under a temporary name, checked against its SHA-256 and
only then moved into the cache, so a failed or partial download never leaves a file that a
later run trusts.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cnn_course.errors import CourseError

CHUNK = 1 << 20
CACHE_VARIABLE = "CNN_COURSE_CACHE"


class DownloadError(CourseError):
    """No source gave the file; the message lists why and how to place it by hand."""


@dataclass(frozen=True)
class RemoteFile:
    """A file the course downloads: its cache name, checksum and the places it lives."""

    name: str
    sha256: str | None  # None: not published; the first verified download's hash is recorded and kept
    urls: tuple[str, ...]
    size: int | None = None
    description: str = ""


@dataclass
class Attempt:
    url: str
    problem: str


@dataclass(frozen=True)
class DownloadPolicy:
    """How long to wait for a source before trying the next (settings only: what happened is
    in the log, and in the :class:`DownloadError` when no source gave the file)."""

    timeout: float = 30.0  # seconds to connect, and between two chunks
    min_bytes_per_second: float = 200_000  # below this, move on to the next source ...
    patience: float = 20.0  # ... once this many seconds have passed


def default_cache_dir() -> Path:
    """``$CNN_COURSE_CACHE``, else ``~/.cache/cnn-course`` (Colab: ``/root/.cache/cnn-course``)."""
    return Path(os.environ.get(CACHE_VARIABLE) or Path.home() / ".cache" / "cnn-course")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def recorded_hash_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.sha256")


def expected_sha256(target: Path, remote: RemoteFile) -> str | None:
    """The pinned hash, else the one recorded when the cached copy was first downloaded."""
    if remote.sha256:
        return remote.sha256
    recorded = recorded_hash_path(target)
    return recorded.read_text(encoding="utf-8").strip() if recorded.is_file() else None


def is_valid(path: Path, remote: RemoteFile) -> bool:
    if not path.is_file() or (remote.size is not None and path.stat().st_size != remote.size):
        return False
    expected = expected_sha256(path, remote)
    return expected is None or sha256_of(path) == expected


class _TooSlow(Exception):
    pass


def _progress_bar(total: int | None):
    try:
        import keras

        return keras.utils.Progbar(total, unit_name="B") if total else None
    except ImportError:  # pragma: no cover - keras ships with the course
        return None


def _stream(url: str, part: Path, policy: DownloadPolicy, last_source: bool) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "cnn-course"})
    with urllib.request.urlopen(request, timeout=policy.timeout) as response, open(part, "wb") as out:
        expected = response.headers.get("Content-Length")
        expected = int(expected) if expected and expected.isdigit() else None
        bar = _progress_bar(expected)
        received, started = 0, time.monotonic()
        while True:
            block = response.read1(CHUNK)  # returns what has arrived, so a slow source is noticed in time
            if not block:
                break
            out.write(block)
            received += len(block)
            if bar is not None:
                bar.update(received)
            elapsed = time.monotonic() - started
            if not last_source and elapsed > policy.patience and received / elapsed < policy.min_bytes_per_second:
                raise _TooSlow(f"too slow ({received / elapsed / 1000:.0f} kB/s after {elapsed:.0f} s)")
        if expected is not None and received != expected:
            raise OSError(f"the connection closed after {received:,} of {expected:,} bytes")
        return received


def fetch(
    remote: RemoteFile,
    cache_dir: Path | None = None,
    policy: DownloadPolicy | None = None,
    log: Callable[[str], None] = print,
) -> Path:
    """The file from the cache, or downloaded from the first source that delivers it intact."""
    policy = policy or DownloadPolicy()
    cache_dir = Path(cache_dir or default_cache_dir())
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / remote.name
    if target.exists():
        if is_valid(target, remote):
            return target
        log(f"{target} is incomplete or corrupted (its size or SHA-256 does not match); downloading it again")
        target.unlink()
        recorded_hash_path(target).unlink(missing_ok=True)
    part = target.with_name(f"{target.name}.part-{os.getpid()}")
    attempts: list[Attempt] = []
    for index, url in enumerate(remote.urls):
        last = index == len(remote.urls) - 1
        log(f"downloading {remote.description or remote.name} from {url}")
        try:
            received = _stream(url, part, policy, last)
            if remote.size is not None and received != remote.size:
                raise OSError(f"size mismatch: got {received:,} bytes, expected {remote.size:,}")
            digest = sha256_of(part)
            if remote.sha256 and digest != remote.sha256:
                raise OSError(f"checksum mismatch: got SHA-256 {digest[:12]}…, expected {remote.sha256[:12]}…")
            os.replace(part, target)
            if not remote.sha256:
                # Nobody publishes this file's hash: keep the one of this download, so the cached
                # copy is checked against it on every later use.
                recorded_hash_path(target).write_text(digest + "\n", encoding="utf-8")
                log(f"{remote.name}: SHA-256 {digest} (recorded; no published hash to compare with)")
            return target
        except _TooSlow as slow:
            attempts.append(Attempt(url, str(slow)))
        except urllib.error.HTTPError as error:
            attempts.append(Attempt(url, f"HTTP {error.code} {error.reason}"))
        except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
            reason = getattr(error, "reason", None) or error
            attempts.append(Attempt(url, f"{type(error).__name__}: {reason}"))
        finally:
            part.unlink(missing_ok=True)
        log(f"  {attempts[-1].problem}; " + ("trying the next source" if not last else "no source left"))
    tried = "\n".join(f"  - {attempt.url}: {attempt.problem}" for attempt in attempts)
    raise DownloadError(
        f"Could not download {remote.name} from any source:\n{tried}\n"
        f"To place it by hand: download {remote.urls[0]} in a browser"
        + (f" (SHA-256 {remote.sha256})" if remote.sha256 else "")
        + ", then either "
        f"copy it to {target} or pass the file's path to the loader (for example source='/path/to/{remote.name}')."
    )
