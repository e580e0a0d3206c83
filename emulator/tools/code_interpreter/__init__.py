"""code_interpreter: the model's Python in a locked-down Docker sandbox, one per thread."""

from emulator.tools.code_interpreter.manager import SandboxManager
from emulator.tools.code_interpreter.tool import CodeInterpreterTool

__all__ = ["CodeInterpreterTool", "SandboxManager"]
