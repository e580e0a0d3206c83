"""Local models the emulator can serve itself: the bundled instruction-tuned GGUF and how it is assembled."""
