"""Configs and stack files: schema, overrides, and that they name real ZenML flavors."""

from portable_mlops.errors import message_of


def test_message_of_keeps_our_errors_verbatim() -> None:
    assert message_of("portable_mlops.errors.DataValidationError", "column 'x' bad\ntrace", "s") == "column 'x' bad"
    assert message_of("builtins.KeyError", "'x'", "train") == "step 'train' failed: KeyError: 'x'"
