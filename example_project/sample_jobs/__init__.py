"""Sample jobs shown by `make demo`."""
