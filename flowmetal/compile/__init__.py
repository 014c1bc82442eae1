"""The compiler: a parsed program (Python `ast` nodes) to code objects for the VM.

    source --flowmetal.syntax.parse--> ast.Module --resolve--> scopes --compiler--> Program

Public names: `compile_program`, `Program`, `Code`, `BYTECODE_VERSION`.
"""

from flowmetal.compile.code import Code, Program
from flowmetal.compile.compiler import compile_module, compile_program
from flowmetal.compile.opcodes import BYTECODE_VERSION

__all__ = ["BYTECODE_VERSION", "Code", "Program", "compile_module", "compile_program"]
