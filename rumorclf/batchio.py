"""Moved to the `rumorclf.batch` package (issue 17): readers (`batch.readers`), writers
(`batch.writers`), resume state (`batch.state`), the run (`batch.run`); the row schema is
`rumorclf.schema`. This name stays for existing imports."""

from .batch.formats import FORMATS, STDIO, BatchIOError, detect_format, is_stdio, output_format
from .batch.readers import (READERS, Record, count_records, read_csv, read_jsonl, read_parquet,
                            read_txt)
from .batch.run import check_paths, classify_file
from .batch.state import STATE_SUFFIX
from .batch.writers import CsvWriter, JsonlWriter, ParquetPartsWriter
from .schema import prediction_row as prediction_fields

__all__ = ["FORMATS", "READERS", "STATE_SUFFIX", "STDIO", "BatchIOError", "CsvWriter", "JsonlWriter",
           "ParquetPartsWriter", "Record", "check_paths", "classify_file", "count_records", "detect_format",
           "is_stdio", "output_format", "prediction_fields", "read_csv", "read_jsonl", "read_parquet", "read_txt"]
