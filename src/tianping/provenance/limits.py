"""Resource limits for reading untrusted files: labels are checked on uploads, so every length field
in a container is distrusted, nothing is decompressed without a cap, and pixels are decoded only
when adding a visible label (after the header says the image is of a sane size)."""

from __future__ import annotations

MAX_LABEL_BYTES = 64 * 1024  # one AIGC JSON value
MAX_META_BYTES = 8 * 1024 * 1024  # one metadata chunk/segment/tag read into memory (XMP, ID3, zTXt…)
MAX_MOOV_BYTES = 64 * 1024 * 1024  # an MP4 'moov' box handed to mutagen
MAX_CHUNKS = 200_000  # chunks/boxes/segments walked in one file
MAX_PIXELS = 100_000_000  # decoding for visible labels (Pillow's own bomb limit is ~179 MP)
MAX_TEXT_BYTES = 64 * 1024 * 1024  # a text file read whole
READ_BLOCK = 1 << 20  # streaming hash block
