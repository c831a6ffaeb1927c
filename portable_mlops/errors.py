"""Errors that carry a one-line message naming the problem and the fix.

``run.py`` prints the message of any :class:`UserFacingError` as the single line a user sees.
"""


class UserFacingError(Exception):
    """An error caused by the input or the environment, with a message that says how to fix it."""


class DataSourceError(UserFacingError, ValueError):
    """The data source cannot be read or lacks what the pipeline needs."""


class DataValidationError(UserFacingError, ValueError):
    """The data violates a constraint derived from the reference profile."""


class ForbiddenFeatureError(UserFacingError, ValueError):
    """A model takes a feature the configuration forbids, or no allowed feature is left."""


class PromotionError(UserFacingError, RuntimeError):
    """The champion could not be compared or updated; nothing was changed."""


class StackSetupError(UserFacingError, RuntimeError):
    """The ZenML stack could not be imported or activated."""


def message_of(source: str | None, message: str | None, where: str) -> str:
    """One line for an exception recorded by a failed step: ours verbatim, others with their type.

    ``source`` is the exception class's import path as ZenML records it (``pkg.module.Class``).
    """
    text = (message or "").strip().splitlines()[0] if (message or "").strip() else "no message"
    module, _, name = (source or "").rpartition(".")
    cls: object = None
    if module:
        import importlib

        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            cls = None
    if isinstance(cls, type) and issubclass(cls, UserFacingError):
        return text
    return f"step '{where}' failed: {name or 'Exception'}: {text}"
