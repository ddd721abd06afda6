"""A Django app holding the job classes used by tests (workers import it by name)."""
