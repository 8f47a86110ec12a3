"""The attachment store: files sent with reports, kept outside the ledger by their SHA-256.

A file is written once under its hash (``<dir>/<sha256>``); the event that cites it
(:class:`domain.events.AttachmentsSubmitted`) records the hash, the name, the size and the
media type, so the hash chain covers what was sent without holding the bytes. A file is
read back only if its bytes still have the hash the event recorded.

What is accepted: at most ``Settings.attachment_max_files`` files of at most
``Settings.attachment_max_bytes`` each, of the media types in :data:`MEDIA_TYPES`, told by
the file's first bytes (never by the name or the browser's claim).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from api.schemas.fields import first_control
from config.settings import Settings
from domain.deciders.effects import SHA256
from domain.errors import Conflict, InvalidInput, NotFound
from domain.events import Attachment

#: The media types accepted, each with the first bytes a file of it begins with.
MEDIA_TYPES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
FIELD = "attachments"
MAX_NAME = 200


class TooLarge(InvalidInput):
    """A file, or the request carrying it, is over the limit (413)."""


class Tampered(Conflict):
    """The stored bytes no longer have the hash the event recorded (409)."""


def media_type_of(content: bytes) -> str | None:
    """The accepted media type the bytes begin as, or None."""
    return next((t for t, magic in MEDIA_TYPES.items() if content.startswith(magic)), None)


def clean_name(name: str) -> str:
    """The file's own name, without any folder a browser sent with it."""
    base = PureWindowsPath(PurePosixPath(name).name).name.strip()
    return base[:MAX_NAME]


@dataclass(frozen=True)
class AttachmentStore:
    root: Path
    max_bytes: int
    max_files: int

    @classmethod
    def of(cls, settings: Settings) -> AttachmentStore:
        return cls(
            settings.attachments_path(),
            settings.attachment_max_bytes,
            settings.attachment_max_files,
        )

    @property
    def max_request_bytes(self) -> int:
        """The largest form that can carry the most files at their largest, with its text."""
        return self.max_files * self.max_bytes + 256 * 1024

    def check(self, files: list[tuple[str, bytes]]) -> list[Attachment]:
        """What each ``(name, content)`` would be recorded as; refuses what is not accepted."""
        if len(files) > self.max_files:
            raise InvalidInput(f"at most {self.max_files} files may be attached", field=FIELD)
        found: list[Attachment] = []
        for name, content in files:
            shown = clean_name(name)
            if not shown:
                raise InvalidInput("each file needs a name", field=FIELD)
            if (bad := first_control(shown)) is not None:
                raise InvalidInput(
                    f"the name {shown!r} holds the character U+{ord(bad[1]):04X}", field=FIELD
                )
            if len(content) > self.max_bytes:
                raise TooLarge(
                    f"{shown} is larger than the limit of {self.max_bytes} bytes", field=FIELD
                )
            if not content:
                raise InvalidInput(f"{shown} is empty", field=FIELD)
            media_type = media_type_of(content)
            if media_type is None:
                accepted = ", ".join(MEDIA_TYPES)
                raise InvalidInput(f"{shown} is not one of {accepted}", field=FIELD)
            digest = hashlib.sha256(content).hexdigest()
            found.append(
                Attachment(sha256=digest, name=shown, size=len(content), media_type=media_type)
            )
        return found

    def put(self, files: list[tuple[str, bytes]]) -> list[Attachment]:
        """Keep each file under its hash (once: a file already there with its hash stays)."""
        found = self.check(files)
        for attachment, (_, content) in zip(found, files, strict=True):
            self._write(attachment["sha256"], content)
        return found

    def _write(self, digest: str, content: bytes) -> None:
        path = self.root / digest
        if path.exists() and _hash(path.read_bytes()) == digest:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=self.root, prefix=".incoming-", delete=False) as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(f.name, path)

    def read(self, attachment_sha256: str) -> bytes:
        """The stored bytes, if they still have their hash."""
        if not SHA256.fullmatch(attachment_sha256):
            raise NotFound(f"no file {attachment_sha256!r}")
        path = self.root / attachment_sha256
        if not path.is_file():
            raise NotFound(f"the file {attachment_sha256} is missing from the attachment store")
        content = path.read_bytes()
        if _hash(content) != attachment_sha256:
            raise Tampered(
                f"the stored file no longer has the SHA-256 {attachment_sha256} its event"
                " recorded; it is not served",
                field="sha256",
            )
        return content


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
