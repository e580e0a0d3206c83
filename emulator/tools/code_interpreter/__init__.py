"""code_interpreter: the model's Python in a locked-down Docker sandbox, one per thread.

Like every tool package it imports only the store and the bottom modules (settings,
sandbox_seed); the files its code produces are made through a callable the assembly
hands it (`tool.CreateOutputFile`), never through the services.
"""

from emulator.tools.code_interpreter.manager import SandboxManager
from emulator.tools.code_interpreter.tool import CodeInterpreterTool, ContainerHooks

__all__ = ["CodeInterpreterTool", "ContainerHooks", "SandboxManager"]
