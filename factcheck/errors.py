"""Every error factcheck raises on purpose.

FactcheckError
├── InputError                 the caller's input cannot be used (empty, binary, too large, malformed)
│   ├── UnsupportedFormatError  no reader for this format
│   └── RecordError             one record of an import is invalid (the import skips it)
├── FetchError                 a URL could not be fetched safely
│   ├── BlockedAddressError     private, loopback, link-local or metadata address
│   ├── UnsupportedSchemeError  not http or https
│   ├── FetchTimeoutError       connect or download took too long
│   ├── ResponseTooLargeError   body (or its decompressed size) over the limit
│   ├── TooManyRedirectsError   redirect chain over the limit
│   └── HTTPStatusError         the server answered with an error status
├── ModelArtifactError         a trained model in models/ is missing or unreadable
├── MissingExtraError          an optional extra (e.g. `train`: PyTorch) is not installed
├── NotFoundError              a record that was asked for does not exist
└── ConflictError              a record changed since the caller read it
"""

from __future__ import annotations


class FactcheckError(Exception):
    """Base of every error factcheck raises on purpose; the message is meant for a person."""


class InputError(FactcheckError):
    pass


class UnsupportedFormatError(InputError):
    pass


class RecordError(InputError):
    pass


class FetchError(FactcheckError):
    pass


class BlockedAddressError(FetchError):
    pass


class UnsupportedSchemeError(FetchError):
    pass


class FetchTimeoutError(FetchError):
    pass


class ResponseTooLargeError(FetchError):
    pass


class TooManyRedirectsError(FetchError):
    pass


class HTTPStatusError(FetchError):
    """`status` is the HTTP status code, for callers that decide whether to retry."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


class ModelArtifactError(FactcheckError):
    pass


class MissingExtraError(FactcheckError):
    """The message names the extra and the pip line that installs it."""


class NotFoundError(FactcheckError):
    pass


class ConflictError(FactcheckError):
    pass
