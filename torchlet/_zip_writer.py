"""The zip writer of torch.save: the layout of torch's own writer, byte for byte.

torch writes its checkpoints with miniz (``PyTorchStreamWriter``), whose layout Python's
zipfile cannot produce (data descriptors after every record, version and time fields 0,
alignment padding in the local headers only, a zip64 end record always). A file written
here has the size of torch's and the same bytes apart from its random serialization id;
torch and zipfile both read it.
"""

from __future__ import annotations

import struct
import zlib

_U32_MAX = 0xFFFFFFFF


class ZipWriter:
    """Writes a zip archive record by record in the layout of torch's writer (miniz, as
    ``PyTorchStreamWriter`` drives it), so that a file has the size torch's has.

    A record is a local header (version 0, flags 0x0808: sizes and CRC follow the data in
    a data descriptor, names are UTF-8; stored; time, date, CRC and sizes 0), the name,
    the extra fields (zip64 information when needed, then ``FB`` + padding so that the
    data starts on an ``alignment``-byte boundary: torch uses 64), the data, and the data descriptor
    ``PK\\x07\\x08 crc size size``. An empty record has flags 0x0800 and no descriptor.
    ``close`` writes the central directory (the same fields, without the padding), then,
    as torch always does, the zip64 end record and its locator, then the end record.
    Offsets count from where the writer started, as miniz counts them.
    """

    _LIMIT = _U32_MAX  # sizes and offsets from here on go into zip64 fields

    def __init__(self, file, alignment: int) -> None:
        self.file = file
        self.alignment = alignment
        self.offset = 0
        self.central: list[bytes] = []

    def _write(self, data) -> None:
        self.file.write(data)
        self.offset += memoryview(data).nbytes

    def _zip64_extra(self, *values) -> bytes:
        present = [v for v in values if v is not None]
        return struct.pack(f"<HH{len(present)}Q", 1, 8 * len(present), *present)

    def record(self, name: str, data) -> None:
        encoded = name.encode("utf-8")
        size, offset, limit = memoryview(data).nbytes, self.offset, self._LIMIT
        big_size, big_offset = size >= limit, offset >= limit
        zip64 = big_size or big_offset
        # miniz's local zip64 field: the size and a compressed size not known yet (0)
        extra = self._zip64_extra(size if big_size else None, 0 if big_size else None,
                                  offset if big_offset else None) if zip64 else b""
        pad = -(offset + 30 + len(encoded) + len(extra) + 4) % self.alignment
        extra += struct.pack("<2sH", b"FB", pad) + b"Z" * pad
        flags = 0x0808 if size else 0x0800
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 0, flags, 0, 0, 0, 0, 0, 0,
                                len(encoded), len(extra)) + encoded + extra)
        self._write(data)
        crc = zlib.crc32(data) if size else 0
        if size:
            sizes = struct.pack("<QQ" if zip64 else "<II", size, size)
            self._write(struct.pack("<II", 0x08074B50, crc) + sizes)
        central_extra = self._zip64_extra(size if big_size else None,
                                          size if big_size else None,
                                          offset if big_offset else None) if zip64 else b""
        size32 = _U32_MAX if big_size else size  # 0xFFFFFFFF: "see the zip64 field"
        self.central.append(struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 0, 0, flags, 0, 0, 0, crc, size32, size32,
            len(encoded), len(central_extra), 0, 0, 0, 0,
            _U32_MAX if big_offset else offset) + encoded + central_extra)

    def close(self) -> None:
        start, count = self.offset, len(self.central)
        for entry in self.central:
            self._write(entry)
        size, end64 = self.offset - start, self.offset
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 0x031E, 0x2D, 0, 0, count,
                                count, size, start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, end64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF),
                                min(count, 0xFFFF), min(size, _U32_MAX),
                                _U32_MAX if start >= self._LIMIT else start, 0))
