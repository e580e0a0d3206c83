"""What the test areas share besides fixtures: documents, stand-in servers, wire logs, spec checks.

Test modules import from here (`from tests.helpers.documents import named`), never from one another;
tests/test_layout.py keeps it so. Fixtures live in the conftest.py files.
"""
