"""assistants-emulator: a local, offline emulator of OpenAI's Assistants API (v2)."""

__version__ = "0.1.0"
