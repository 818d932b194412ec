"""Where a memory (or an input) lives: a local path, or an object-store URI (s3://, gs://, az://).

`ObjectPath` is the small slice of `pathlib.Path` the store uses (join, read, write, list,
delete), over `pyarrow.fs`, so the same Memory code writes keyframes and its marker file to a
local folder or to a bucket. Credentials and endpoints come from the usual environment
variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL, ...).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from mmem.errors import StoreError

SCHEMES = ("s3", "gs", "gcs", "az", "abfs", "memory")


def is_uri(value: object) -> bool:
    s = str(value)
    return "://" in s and s.split("://", 1)[0].lower() in SCHEMES


def endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") \
        or os.environ.get("AWS_ENDPOINT")


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow FileSystem, path inside it) for an object-store URI."""
    import pyarrow.fs as pafs

    scheme, rest = uri.split("://", 1)
    rest = rest.strip("/")
    if scheme.lower() == "s3":
        url = endpoint()
        # fail in seconds, not minutes, when the endpoint is wrong or silent
        kwargs: dict[str, Any] = {"connect_timeout": 5, "request_timeout": 60,
                                  "retry_strategy": pafs.AwsStandardS3RetryStrategy(max_attempts=3)}
        if url:
            sch, _, host = url.partition("://")
            kwargs.update(endpoint_override=host or sch, scheme=sch if host else "https")
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        if region:
            kwargs["region"] = region
        return pafs.S3FileSystem(**kwargs), rest
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types here
        raise StoreError(f"cannot open {uri} ({exc}): check the URI and credentials") from None
    return fs, path


def storage_options() -> dict[str, str]:
    """LanceDB storage options for s3:// URIs (endpoint from the environment, plain HTTP allowed
    for a local S3-compatible server)."""
    opts = {"connect_timeout": "5s", "timeout": "120s"}  # the defaults wait ~12 min on a silent server
    url = endpoint()
    if url:
        opts["aws_endpoint"] = url
        if url.startswith("http://"):
            opts["allow_http"] = "true"
    return opts


class ObjectPath:
    """A file or prefix in an object store, used like a `pathlib.Path`."""

    def __init__(self, uri: str, fs: Any = None, key: str | None = None) -> None:
        self.scheme = uri.split("://", 1)[0]
        if fs is None:
            fs, key = filesystem(uri)
        self.fs, self.key = fs, (key or "").strip("/")

    def __truediv__(self, other: str | Path) -> ObjectPath:
        return ObjectPath(self.scheme + "://", self.fs, f"{self.key}/{Path(other).as_posix()}")

    def __str__(self) -> str:
        return f"{self.scheme}://{self.key}"

    def __repr__(self) -> str:
        return f"ObjectPath({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == str(other)

    def __hash__(self) -> int:
        return hash(str(self))

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix

    @property
    def parent(self) -> ObjectPath:
        return ObjectPath(self.scheme + "://", self.fs, self.key.rsplit("/", 1)[0])

    def expanduser(self) -> ObjectPath:
        return self

    def resolve(self) -> ObjectPath:
        return self

    def _info(self):
        return _call(self, lambda: self.fs.get_file_info(self.key))

    def exists(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type != pafs.FileType.NotFound

    def is_dir(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.Directory

    def is_file(self) -> bool:
        import pyarrow.fs as pafs

        return self._info().type == pafs.FileType.File

    def mkdir(self, parents: bool = False, exist_ok: bool = False) -> None:
        pass  # object stores have no folders

    def iterdir(self) -> Iterator[ObjectPath]:
        import pyarrow.fs as pafs

        sel = pafs.FileSelector(self.key, allow_not_found=True)
        for info in _call(self, lambda: self.fs.get_file_info(sel)):
            yield ObjectPath(self.scheme + "://", self.fs, info.path)

    def read_bytes(self) -> bytes:
        def read() -> bytes:
            with self.fs.open_input_stream(self.key) as f:
                return f.read()

        return _call(self, read)

    def read_text(self) -> str:
        return self.read_bytes().decode()

    def write_bytes(self, data: bytes) -> None:
        def write() -> None:
            with self.fs.open_output_stream(self.key) as f:
                f.write(data)

        _call(self, write)

    def write_text(self, text: str) -> None:
        self.write_bytes(text.encode())

    def unlink(self, missing_ok: bool = False) -> None:
        try:
            self.fs.delete_file(self.key)
        except FileNotFoundError:
            if not missing_ok:
                raise

    def rmtree(self) -> None:
        try:
            self.fs.delete_dir(self.key)
        except (FileNotFoundError, OSError):
            pass


def _call(where: ObjectPath, fn):
    try:
        return fn()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StoreError(f"{where}: {explain(exc)}") from None


def has_credentials() -> bool:
    """Credentials the AWS SDKs would find without asking an instance's metadata service."""
    env = os.environ
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return True
    other = ("AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
             "AWS_CONTAINER_CREDENTIALS_FULL_URI")
    if any(env.get(k) for k in other):
        return True
    files = [env.get("AWS_SHARED_CREDENTIALS_FILE"), env.get("AWS_CONFIG_FILE"),
             str(Path.home() / ".aws" / "credentials")]
    return any(f and Path(f).is_file() for f in files)


def explain(exc: BaseException) -> str:
    """One line on what an object-store error means, and what to do."""
    msg = str(exc)
    creds = "" if has_credentials() else (
        " (no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE)")
    if any(k in msg for k in ("NETWORK_CONNECTION", "Could not connect", "Could not resolve",
                              "Connection refused", "error sending request", "dns error")):
        where = endpoint() or "AWS"
        return f"cannot reach the object store at {where}: check AWS_ENDPOINT_URL and the network{creds}"
    if not has_credentials():
        return ("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE "
                f"(the store said: {_short(exc)})")
    if any(k in msg for k in ("ACCESS_DENIED", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                              "403", "Forbidden", "MissingAuthenticationToken", "InvalidClientTokenId")):
        return ("access denied: check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) "
                "and the bucket's permissions")
    if "NoSuchBucket" in msg or "NO_SUCH_BUCKET" in msg:
        return "no such bucket: check the URI, or create the bucket first"
    return f"{_short(exc)}: check the URI, the AWS_* credentials and the endpoint"


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def as_location(value: str | Path) -> Path | ObjectPath:
    """A local path (expanded, absolute) or an ObjectPath for a URI."""
    if is_uri(value):
        return ObjectPath(str(value))
    s = str(value)
    if s.startswith("file://"):
        s = s[len("file://"):]
    return Path(s).expanduser().resolve()


def rmtree(path: Path | ObjectPath) -> None:
    if isinstance(path, ObjectPath):
        path.rmtree()
    else:
        shutil.rmtree(path, ignore_errors=True)
