"""The hot path's catalogue reads: straight from the system of record, or cached per process."""
