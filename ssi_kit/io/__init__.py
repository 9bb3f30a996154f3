"""Dataset input and output: the table contract, validation and atomic writes."""
from .atomic import atomic_directory, atomic_file
from .dataset import Dataset, load_dataset, validate_tables, write_dataset, write_table
from .schemas import ACTIVITY_COUNTS, MODELS, PILLARS, TABLE_NAMES

__all__ = [
    "Dataset", "load_dataset", "validate_tables", "write_dataset", "write_table",
    "atomic_directory", "atomic_file", "ACTIVITY_COUNTS", "MODELS", "PILLARS", "TABLE_NAMES",
]
