"""The root of Flowmetal's exceptions.

    FlowmetalError
    ├── FlowSyntaxError     (flowmetal.syntax) source that does not parse; file, line, column
    ├── CompileError        (flowmetal.compile) source that parses but cannot compile
    ├── SnapshotError       (flowmetal.serial) a snapshot that cannot be read or written
    ├── LimitError          a snapshot or value past a configured limit
    ├── InternalError       a broken invariant of our own: a bug in Flowmetal
    └── ServiceError        raised by the interpreter and connectors (their own modules)

Errors of a running program are not Python exceptions of ours: they are
Flowmetal exceptions inside the VM, and fail the task (`protocol.TaskError`).
"""


class FlowmetalError(Exception):
    """Root of every error Flowmetal raises on purpose."""


class FlowSyntaxError(FlowmetalError):
    """Source that does not parse. `str()` is `file:line:col: message` then the line and a caret."""

    def __init__(self, message: str, filename: str, line: int, column: int, source_line: str = ""):
        self.message = message
        self.filename = filename
        self.line = line
        self.column = column
        self.source_line = source_line
        super().__init__(self.render())

    def render(self) -> str:
        text = f"{self.filename}:{self.line}:{self.column}: {self.message}"
        if self.source_line:
            stripped = self.source_line.rstrip("\n")
            text += f"\n    {stripped}\n    {' ' * max(self.column - 1, 0)}^"
        return text


class CompileError(FlowSyntaxError):
    """Source that parses but is not a valid program (e.g. `nonlocal` of an unknown name)."""


class SnapshotError(FlowmetalError):
    """A snapshot that cannot be decoded: unknown format version, corrupt bytes, or missing code."""


class LimitError(FlowmetalError):
    """A configured limit was passed."""


class InternalError(FlowmetalError):
    """A broken invariant in Flowmetal itself. Always a bug."""


class ServiceError(FlowmetalError):
    """An error of the Kafka service or a connector (configuration, broker, topics)."""
