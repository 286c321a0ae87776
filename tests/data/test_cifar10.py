"""load_cifar10 against a server on 127.0.0.1: success, corruption, interruption, slowness, a dead host."""

from __future__ import annotations

import hashlib
import io
import pickle
import socket
import tarfile
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from cnn_course.data import cifar10
from cnn_course.data.downloads import DownloadError, DownloadPolicy

PER_BATCH = 20


def official_format_archive() -> tuple[bytes, np.ndarray, np.ndarray]:
    """A small archive laid out like cifar-10-python.tar.gz, and the images it holds."""
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, size=(6 * PER_BATCH, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(6 * PER_BATCH) % 10
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        members = [*cifar10.TRAIN_MEMBERS, cifar10.TEST_MEMBER]
        for index, member in enumerate(members):
            part = slice(index * PER_BATCH, (index + 1) * PER_BATCH)
            rows = images[part].transpose(0, 3, 1, 2).reshape(PER_BATCH, 3072)  # channels first, as CIFAR stores them
            payload = pickle.dumps(
                {b"batch_label": member.encode(), b"labels": labels[part].tolist(), b"data": rows}, protocol=3
            )  # like the original: arrays rebuilt by _reconstruct
            info = tarfile.TarInfo(member)
            info.size = len(payload)
            archive.addfile(info, io.BytesIO(payload))
    return buffer.getvalue(), images, labels


ARCHIVE, IMAGES, LABELS = official_format_archive()
SHA256 = hashlib.sha256(ARCHIVE).hexdigest()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/missing":
            self.send_error(404, "Not Found")
            return
        body = bytearray(ARCHIVE)
        if self.path == "/corrupt":
            body[len(body) // 2] ^= 0xFF
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.path == "/truncated":
            self.wfile.write(bytes(body[: len(body) // 2]))
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if self.path == "/slow":
            deadline = time.monotonic() + 5  # bounded: the client gives up long before
            for start in range(0, len(body), 256):
                if time.monotonic() > deadline:
                    return
                try:
                    self.wfile.write(bytes(body[start : start + 256]))
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.02)
            return
        self.wfile.write(bytes(body))


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def dead_url():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"  # nothing listens there any more


@pytest.fixture(autouse=True)
def full_mode(monkeypatch):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv(cifar10.CIFAR10_URLS_VARIABLE, raising=False)


def remote(*urls):
    return replace(cifar10.CIFAR10_ARCHIVE, urls=tuple(urls), sha256=SHA256, size=None)


def quick_policy():
    return DownloadPolicy(timeout=5, min_bytes_per_second=1_000_000, patience=0.3)


def assert_matches_fixture(result):
    (x_train, y_train), (x_test, y_test), names = result
    assert x_train.shape == (5 * PER_BATCH, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (5 * PER_BATCH, 1) and y_train.dtype == np.uint8
    assert x_test.shape == (PER_BATCH, 32, 32, 3) and y_test.shape == (PER_BATCH, 1)
    np.testing.assert_array_equal(x_train, IMAGES[: 5 * PER_BATCH])
    np.testing.assert_array_equal(y_test.ravel(), LABELS[5 * PER_BATCH :])
    assert names == cifar10.CIFAR10_CLASSES


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_download_is_hash_checked_cached_and_read_like_keras(server, dead_url, tmp_path):
    assert_matches_fixture(cifar10.load_cifar10(cache_dir=tmp_path, archive=remote(f"{server}/good")))
    assert leftovers(tmp_path) == ["cifar-10-python.tar.gz"]
    # Offline now: the cache answers.
    assert_matches_fixture(cifar10.load_cifar10(cache_dir=tmp_path, archive=remote(dead_url)))


def test_a_corrupted_download_is_never_kept_and_the_next_source_is_tried(server, tmp_path, capsys):
    assert_matches_fixture(
        cifar10.load_cifar10(
            cache_dir=tmp_path, policy=quick_policy(), archive=remote(f"{server}/corrupt", f"{server}/good")
        )
    )
    assert "checksum mismatch" in capsys.readouterr().out.split("trying the next source")[0]
    with pytest.raises(DownloadError, match="checksum mismatch"):
        cifar10.load_cifar10(cache_dir=tmp_path / "other", archive=remote(f"{server}/corrupt"), policy=quick_policy())
    assert leftovers(tmp_path / "other") == []


def test_an_interrupted_download_leaves_nothing_behind(server, tmp_path):
    with pytest.raises(DownloadError) as error:
        cifar10.load_cifar10(cache_dir=tmp_path, archive=remote(f"{server}/truncated"), policy=quick_policy())
    assert f"{server}/truncated" in str(error.value)
    assert leftovers(tmp_path) == []
    assert_matches_fixture(
        cifar10.load_cifar10(
            cache_dir=tmp_path, policy=quick_policy(), archive=remote(f"{server}/truncated", f"{server}/good")
        )
    )


def test_a_slow_source_is_abandoned_for_the_next_one(server, tmp_path, capsys):
    started = time.monotonic()
    assert_matches_fixture(
        cifar10.load_cifar10(
            cache_dir=tmp_path, policy=quick_policy(), archive=remote(f"{server}/slow", f"{server}/good")
        )
    )
    assert "too slow" in capsys.readouterr().out.split("trying the next source")[0]
    assert time.monotonic() - started < 5


def test_a_dead_server_says_how_to_place_the_file_by_hand(dead_url, server, tmp_path):
    with pytest.raises(DownloadError) as error:
        cifar10.load_cifar10(cache_dir=tmp_path, archive=remote(dead_url, f"{server}/missing"), policy=quick_policy())
    message = str(error.value)
    assert dead_url in message and "HTTP 404" in message
    assert "To place it by hand" in message and str(tmp_path / "cifar-10-python.tar.gz") in message
    assert "source=" in message
    assert leftovers(tmp_path) == []


def test_a_corrupted_cached_file_is_downloaded_again(server, tmp_path, capsys):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(ARCHIVE[:1000])
    assert_matches_fixture(cifar10.load_cifar10(cache_dir=tmp_path, archive=remote(f"{server}/good")))
    assert "incomplete or corrupted" in capsys.readouterr().out


def test_sources_can_be_configured_with_an_environment_variable(server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(cifar10.CIFAR10_URLS_VARIABLE, f"{server}/missing, {server}/good")
    assert_matches_fixture(
        cifar10.load_cifar10(cache_dir=tmp_path, archive=remote("http://unused.invalid/x"), policy=quick_policy())
    )
    tried = [
        line.split(" from ")[-1] for line in capsys.readouterr().out.splitlines() if line.startswith("downloading")
    ]
    assert tried == [f"{server}/missing", f"{server}/good"]


def test_a_local_archive_is_read_without_downloading(tmp_path):
    path = tmp_path / "my-copy.tar.gz"
    path.write_bytes(ARCHIVE)
    assert_matches_fixture(cifar10.load_cifar10(source=path))


def test_an_archive_with_code_in_its_pickles_is_refused(tmp_path):
    class Exploit:
        def __reduce__(self):
            return (print, ("this must never run",))

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        payload = pickle.dumps({b"data": Exploit(), b"labels": []})
        info = tarfile.TarInfo(cifar10.TRAIN_MEMBERS[0])
        info.size = len(payload)
        archive.addfile(info, io.BytesIO(payload))
    path = tmp_path / "tampered.tar.gz"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(cifar10.DataError, match=r"refusing to load builtins\.print"):
        cifar10.load_cifar10(source=path)


def write_class_folders(root, per_class=6, broken=True):
    rng = np.random.default_rng(2)
    for label, name in enumerate(cifar10.CIFAR10_CLASSES):
        folder = root / name
        folder.mkdir(parents=True)
        for index in range(per_class):
            pixels = np.full((32, 32, 3), label * 20, dtype=np.uint8) + rng.integers(0, 5, (32, 32, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(folder / f"{index:04d}.png")
    if broken:
        (root / "cat" / "broken.jpg").write_bytes(b"not really a jpeg")


def test_a_folder_of_class_subfolders_gets_a_stratified_test_split(tmp_path, capsys):
    write_class_folders(tmp_path / "cifar10_train")
    (x_train, y_train), (x_test, y_test), _names = cifar10.load_cifar10(
        source=tmp_path / "cifar10_train", test_fraction=1 / 3
    )
    assert x_train.shape == (40, 32, 32, 3) and x_test.shape == (20, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.shape == (40, 1) and y_train.dtype == np.uint8
    assert np.bincount(y_test.ravel()).tolist() == [2] * 10, "every class is held out in the same share"
    assert "skipped 1 unreadable image(s)" in capsys.readouterr().out
    again = cifar10.load_cifar10(source=tmp_path / "cifar10_train", test_fraction=1 / 3)
    np.testing.assert_array_equal(again[1][1], y_test)


def test_a_folder_with_train_and_test_uses_them(tmp_path):
    write_class_folders(tmp_path / "both" / "train", per_class=3, broken=False)
    write_class_folders(tmp_path / "both" / "test", per_class=2, broken=False)
    (x_train, _), (x_test, _), _ = cifar10.load_cifar10(source=tmp_path / "both")
    assert len(x_train) == 30 and len(x_test) == 20


def test_a_folder_missing_a_class_is_refused_by_name(tmp_path):
    write_class_folders(tmp_path / "partial", per_class=1, broken=False)
    for image in (tmp_path / "partial" / "truck").iterdir():
        image.unlink()
    (tmp_path / "partial" / "truck").rmdir()
    with pytest.raises(cifar10.DataError, match=r"missing: \['truck'\]"):
        cifar10.load_cifar10(source=tmp_path / "partial")
    with pytest.raises(cifar10.DataError, match="does not exist"):
        cifar10.load_cifar10(source=tmp_path / "nowhere")


def test_smoke_mode_gives_a_small_deterministic_stand_in(monkeypatch):
    monkeypatch.setenv("CNN_COURSE_SMOKE", "1")
    (x_train, y_train), (x_test, _y_test), _names = cifar10.load_cifar10()
    assert x_train.shape[1:] == (32, 32, 3) and x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    assert y_train.shape == (len(x_train), 1) and x_test.shape[1:] == (32, 32, 3)
    assert set(np.unique(y_train)) == set(range(10))
    (x_again, _), _, _ = cifar10.load_cifar10()
    np.testing.assert_array_equal(x_train, x_again)


def test_while_grading_the_submissions_data_source_is_not_read(monkeypatch, capsys):
    monkeypatch.delenv("CNN_COURSE_SMOKE", raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    (x_train, _), _, _ = cifar10.load_cifar10("/content/drive/MyDrive/cifar-10-python.tar.gz")
    (x_stand_in, _), _ = cifar10.smoke_cifar10()
    np.testing.assert_array_equal(x_train, x_stand_in)
    assert "is not read" in capsys.readouterr().out
