"""Exception types. Every message is one line that says what is wrong and where."""

from __future__ import annotations


class IonfluxError(Exception):
    """Base class for errors that the CLI reports as a one-line message (exit code 2)."""


class InputError(IonfluxError, ValueError):
    """Bad user input: a file, a flag, a document or a request that cannot be used as given."""


class TrajectoryFormatError(InputError):
    """A trajectory file that is truncated, corrupt, or not in the format it claims."""


class UnwrapError(InputError):
    """Wrapped coordinates whose per-frame steps are too large to unwrap unambiguously."""


class AnalysisError(IonfluxError):
    """Valid input on which the requested analysis cannot give a trustworthy number."""


class DataNotFoundError(InputError, LookupError):
    """A phase, element, temperature or document that the available data does not cover."""


class StoreError(IonfluxError):
    """A store that cannot be reached, read or written."""


class OutputError(IonfluxError):
    """A file that could not be written (full disk, no permission); nothing partial is left."""
