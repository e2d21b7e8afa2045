"""Reading tabular data in chunks: CSV, Parquet and Arrow IPC (Feather).

Why chunks: a test set of millions of rows must not be held whole in memory. The runner reads
batches, predicts on each, and keeps only what the metrics need (labels, predictions, groups)
plus a bounded random sample of full rows for the tests that re-query the model (robustness,
explanations). Column names are checked against the header before any row is read, so a typo
fails at once with the column named and close matches suggested.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ...errors import Problem, TianpingError

if TYPE_CHECKING:  # pandas is imported where frames are built: a numeric run never needs it (~0.1 s CPU)
    import pandas as pd

CSV_SUFFIXES = {".csv", ".tsv", ".txt"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
ARROW_SUFFIXES = {".arrow", ".feather", ".ipc"}
DEFAULT_CHUNK_ROWS = 250_000


@dataclass
class TableSource:
    """A data file whose header (and, for Parquet/Arrow, row count) is known before reading."""

    path: Path
    fmt: str  # csv | parquet | arrow
    columns: list[str]
    n_rows: int | None = None

    def require(self, columns: Sequence[str], role: str) -> None:
        """Fail, naming each missing column and what it was needed for."""
        problems = []
        for col in columns:
            if col not in self.columns:
                close = difflib.get_close_matches(col, self.columns, n=3)
                hint = (
                    f"; did you mean {', '.join(repr(c) for c in close)}?"
                    if close
                    else f"; columns are: {', '.join(self.columns[:30])}"
                )
                problems.append(Problem(f"column '{col}' ({role}) is not in the data{hint}", file=str(self.path), field=col))
        if problems:
            raise TianpingError(problems, title="unknown column")


def open_table(path: str | Path) -> TableSource:
    """Identify the format from the suffix and read only the schema."""
    import pyarrow as pa

    p = Path(path)
    if not p.is_file():
        raise TianpingError(Problem("data file not found", file=str(p)), title="file not found")
    suffix = p.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            import pyarrow.csv as pacsv

            delim = "\t" if suffix == ".tsv" else ","
            try:  # the header is all we need here: parse a small first block only
                reader = pacsv.open_csv(
                    p,
                    read_options=pacsv.ReadOptions(block_size=1 << 16),
                    parse_options=pacsv.ParseOptions(delimiter=delim),
                    memory_pool=_pool(),
                )
            except pa.ArrowInvalid:  # e.g. a header longer than the block
                reader = pacsv.open_csv(p, parse_options=pacsv.ParseOptions(delimiter=delim), memory_pool=_pool())
            cols = list(reader.schema.names)
            reader.close()
            return TableSource(p, "csv", cols)
        if suffix in PARQUET_SUFFIXES:
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(p)
            return TableSource(p, "parquet", list(pf.schema_arrow.names), pf.metadata.num_rows)
        if suffix in ARROW_SUFFIXES:
            with pa.memory_map(str(p)) as src:
                try:
                    r = pa.ipc.open_file(src)
                    n = sum(r.get_batch(i).num_rows for i in range(r.num_record_batches))
                    return TableSource(p, "arrow", list(r.schema.names), n)
                except pa.ArrowInvalid:
                    src.seek(0)
                    rs = pa.ipc.open_stream(src)
                    return TableSource(p, "arrow", list(rs.schema.names), None)
    except (pa.ArrowInvalid, OSError) as exc:
        raise TianpingError(
            Problem(f"cannot read as {suffix.lstrip('.')}: {exc}", file=str(p)), title="unreadable data"
        ) from None
    raise TianpingError(
        Problem(f"unknown data format '{suffix}': use .csv, .tsv, .parquet, .arrow or .feather", file=str(p)),
        title="unreadable data",
    )


def iter_chunks(
    src: TableSource, columns: Sequence[str] | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[pd.DataFrame]:
    """Yield DataFrames of at most about `chunk_rows` rows, only the requested columns."""
    import pyarrow as pa

    cols = list(columns) if columns is not None else None
    try:
        if src.fmt == "csv":
            import pyarrow.csv as pacsv

            delim = "\t" if src.path.suffix.lower() == ".tsv" else ","
            # type inference looks at the first block only: make it big enough to be representative
            reader = pacsv.open_csv(
                src.path,
                read_options=pacsv.ReadOptions(block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=delim),
                # a blank cell is a missing value in every column, text included (as a null in Parquet),
                # never an empty-string category such as a group named "race="
                convert_options=pacsv.ConvertOptions(include_columns=cols, strings_can_be_null=True),
                memory_pool=_pool(),
            )
            pending: list[pa.RecordBatch] = []
            size = 0
            for batch in reader:
                pending.append(batch)
                size += batch.num_rows
                if size >= chunk_rows:
                    yield _to_pandas(pa.Table.from_batches(pending))
                    pending, size = [], 0
            if pending:
                yield _to_pandas(pa.Table.from_batches(pending))
        elif src.fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(src.path)
            for batch in pf.iter_batches(batch_size=chunk_rows, columns=cols):
                yield _to_pandas(batch)
        else:
            with pa.memory_map(str(src.path)) as f:
                try:
                    r = pa.ipc.open_file(f)
                    batches = (r.get_batch(i) for i in range(r.num_record_batches))
                except pa.ArrowInvalid:
                    f.seek(0)
                    batches = iter(pa.ipc.open_stream(f))
                for batch in batches:
                    if cols is not None:
                        batch = batch.select(cols)
                    yield _to_pandas(batch)
    except pa.ArrowInvalid as exc:
        raise TianpingError(Problem(f"cannot read the data: {exc}", file=str(src.path)), title="unreadable data") from None


def iter_numeric_chunks(
    src: TableSource, columns: Sequence[str], chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[dict[str, np.ndarray]] | None:
    """Chunks as {column: numpy array}, without pandas, when every column is an integer or float column.

    Returns None when some column is of another type (text, booleans, dates, dictionary, ...): the
    caller then reads DataFrames with `iter_chunks`. The arrays are what
    `iter_chunks(...)[column].to_numpy()` gives for these types (same reader options, so the same
    inferred types): int columns stay int, an int chunk with missing values becomes float64 with NaN
    as pandas converts it.
    """
    import pyarrow as pa

    cols = list(dict.fromkeys(columns))
    try:
        if src.fmt == "csv":
            import pyarrow.csv as pacsv

            delim = "\t" if src.path.suffix.lower() == ".tsv" else ","
            reader = pacsv.open_csv(  # same options as iter_chunks, so the same types are inferred
                src.path,
                read_options=pacsv.ReadOptions(block_size=1 << 24),
                parse_options=pacsv.ParseOptions(delimiter=delim),
                convert_options=pacsv.ConvertOptions(include_columns=cols, strings_can_be_null=True),
                memory_pool=_pool(),
            )
            schema = reader.schema
            batches: Iterator = iter(reader)
        elif src.fmt == "parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(src.path)
            schema = pf.schema_arrow
            batches = pf.iter_batches(batch_size=chunk_rows, columns=cols)
        else:
            return None
    except pa.ArrowInvalid as exc:
        raise TianpingError(Problem(f"cannot read the data: {exc}", file=str(src.path)), title="unreadable data") from None
    types = {f.name: f.type for f in schema}
    if not all(c in types and str(types[c]) in _NUMPY_TYPES for c in cols):
        if src.fmt == "csv":
            reader.close()
        return None
    return _numeric_batches(src, cols, batches, chunk_rows)


# Arrow's numeric type names -> numpy dtypes (Array.to_numpy would import pandas, the cost this path avoids)
_NUMPY_TYPES = {
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "halffloat": np.float16,
    "float": np.float32,
    "double": np.float64,
}


def _array_to_numpy(arr) -> np.ndarray:
    """A numeric Arrow array as numpy, read from its buffers; with nulls: ints become float64 and nulls NaN (as in pandas)."""
    dt = np.dtype(_NUMPY_TYPES[str(arr.type)])
    if len(arr) == 0:
        return np.empty(0, dtype=dt)
    validity, data = arr.buffers()[:2]
    values = np.frombuffer(data, dtype=dt, count=arr.offset + len(arr))[arr.offset :]
    if not arr.null_count:
        return values
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), count=arr.offset + len(arr), bitorder="little")[arr.offset :]
    out = values.astype(np.float64 if dt.kind in "iu" else dt)
    out[valid == 0] = np.nan
    return out


def _numeric_batches(src: TableSource, cols: list[str], batches: Iterator, chunk_rows: int) -> Iterator[dict[str, np.ndarray]]:
    import pyarrow as pa

    def arrays(pending: list) -> dict[str, np.ndarray]:
        out = {}
        for c in cols:
            parts = [_array_to_numpy(b.column(c)) for b in pending]
            out[c] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out

    pending: list = []
    size = 0
    try:
        for batch in batches:
            pending.append(batch)
            size += batch.num_rows
            if size >= chunk_rows:
                yield arrays(pending)
                pending, size = [], 0
        if pending:
            yield arrays(pending)
    except pa.ArrowInvalid as exc:
        raise TianpingError(Problem(f"cannot read the data: {exc}", file=str(src.path)), title="unreadable data") from None


class CsvPrefetch:
    """Opens the numeric read of a CSV file on a worker thread, before the model is loaded.

    Why: opening a CSV reader parses its first block (all of a 100k-row file: ~25 ms) in Arrow's C++
    code, which releases the GIL, while loading the model is mostly Python imports, which hold it; on
    two cores the two overlap. The caller names the columns it expects to read; `take` hands over the
    reader only if the run turns out to read exactly those columns, in the same chunks. Any error here
    is dropped: the caller then opens the file itself, where the error is reported as before.
    """

    def __init__(self, path: str | Path, columns: Sequence[str], chunk_rows: int):
        import threading

        import pyarrow.csv  # noqa: F401  (imported here: a module import holds the GIL, the parse does not)

        self.path = str(path)
        self.columns = list(dict.fromkeys(columns))
        self.chunk_rows = chunk_rows
        self._chunks: Iterator[dict[str, np.ndarray]] | None = None
        self._ok = False
        self._thread = threading.Thread(target=self._open, name="tianping-csv-prefetch")
        self._thread.start()

    def _open(self) -> None:
        try:
            # no header check here (the caller's open_table does it): straight to the parse
            self._chunks = iter_numeric_chunks(TableSource(Path(self.path), "csv", []), self.columns, self.chunk_rows)
            self._ok = True
        except Exception:  # noqa: BLE001 - reported by the caller's own read, in its usual place
            self._ok = False

    def take(self, columns: Sequence[str], chunk_rows: int) -> tuple[bool, Iterator[dict[str, np.ndarray]] | None]:
        """(True, what `iter_numeric_chunks` gives) when the prefetched read fits; (False, None) otherwise."""
        self._thread.join()
        if not self._ok or list(dict.fromkeys(columns)) != self.columns or chunk_rows != self.chunk_rows:
            self.discard()
            return False, None
        chunks, self._chunks = self._chunks, None
        return True, chunks

    def discard(self) -> None:
        self._thread.join()
        chunks, self._chunks = self._chunks, None
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _pool():
    """The C allocator's pool: chunks are freed back to it as soon as they are consumed, whereas Arrow's
    default (mimalloc) pool keeps its arenas, which shows as ~10 MB more peak memory for no speed gain here."""
    import pyarrow as pa

    return pa.system_memory_pool()


def _to_pandas(table) -> pd.DataFrame:
    # One block per column: pandas does not copy every column into a consolidated 2-D block (tens of
    # milliseconds per 100k rows, and a second copy of the chunk in memory).
    return table.to_pandas(split_blocks=True, memory_pool=_pool())


def read_all(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a (small) table whole: reference data, or tests' own inputs."""
    src = open_table(path)
    if columns is not None:
        src.require(columns, "reference")
    import pandas as pd

    parts = list(iter_chunks(src, columns))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(columns or src.columns))


class RowSample:
    """A uniform random sample of at most `k` rows over a stream of chunks (bottom-k keys).

    Each row gets a random key; the sample is the k rows with the smallest keys seen so far, so
    the result is uniform whatever the number of chunks, and reproducible from the seed.
    """

    def __init__(self, k: int, seed: int = 0):
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.frame: pd.DataFrame | None = None
        self.keys = np.empty(0)
        self.offset = 0

    def add(self, chunk: pd.DataFrame) -> None:
        keys = self.rng.random(len(chunk))
        chunk = chunk.set_axis(np.arange(self.offset, self.offset + len(chunk)))
        self.offset += len(chunk)
        if self.frame is None:
            frame, allkeys = chunk, keys
        else:
            import pandas as pd

            frame, allkeys = pd.concat([self.frame, chunk]), np.concatenate([self.keys, keys])
        if len(frame) > self.k:
            keep = np.argpartition(allkeys, self.k)[: self.k]
            keep.sort()
            frame, allkeys = frame.iloc[keep], allkeys[keep]
        self.frame, self.keys = frame, allkeys

    def result(self) -> pd.DataFrame:
        """Sampled rows in file order; the index is the row number in the file."""
        if self.frame is None:
            import pandas as pd

            return pd.DataFrame()
        return self.frame.sort_index()
