"""The test suite, a package (as each area folder is): modules of different areas may share a base name,
and all of them import shared helpers as `tests.helpers`."""

import pytest

# The helpers assert too (run_code, Raw, error_of...): pytest rewrites their asserts as it does a test
# module's, so a failing one shows its values. Registered before anything imports tests.helpers.
pytest.register_assert_rewrite("tests.helpers")
