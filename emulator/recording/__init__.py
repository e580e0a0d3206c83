"""Record and replay: a server session's model calls and hosted-tool runs, written to or answered from a cassette.

It wraps both seams a run crosses, so it sits above both: `model_calls` wraps the
model client (`emulator.llm`), `hosted_tools` wraps the hosted tools
(`emulator.tools`); `tape` is the one session's cassette they share, and
`cassette` is the file format.

May import: `emulator.llm`, `emulator.tools`, `emulator.store` and the bottom
modules (settings, ids, objects, errors, tokens). Used from above by the assembly
(`emulator.assembly`, which puts the wrappers in place in record or replay mode),
the CLI and the test controls (which check a cassette before a server uses it),
and the pytest plugin (which reports replay misses).
"""
