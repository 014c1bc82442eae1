"""The instruction set of Flowmetal's stack machine.

Each instruction is an opcode and one integer argument. Each opcode below
carries its stack picture: what it pops (left of `--`) and pushes (right),
top of stack last. `[x]` means "present only when the argument says so".

The numbering is part of the persisted format: a snapshot stores a program
counter into code compiled by this table, so reordering opcodes, or changing
what one does, is a new BYTECODE_VERSION.
"""

from __future__ import annotations

# Bumped whenever the meaning of compiled code changes (opcodes, layout of
# code objects, how a construct compiles). Snapshots record it.
BYTECODE_VERSION = 1

_TABLE: list[tuple[str, str]] = [
    # -- stack and constants ------------------------------------------------------------
    ("NOP", "--"),
    ("POP_TOP", "x --"),
    ("DUP_TOP", "x -- x x"),
    ("DUP_TOP_TWO", "x y -- x y x y"),
    ("ROT_TWO", "x y -- y x"),
    ("ROT_THREE", "x y z -- z x y"),
    ("LOAD_CONST", "-- consts[arg]"),
    # -- variables ----------------------------------------------------------------------
    ("LOAD_FAST", "-- locals[arg]"),
    ("STORE_FAST", "x --"),
    ("DELETE_FAST", "--"),
    ("LOAD_DEREF", "-- cells[arg].value"),
    ("STORE_DEREF", "x --"),
    ("DELETE_DEREF", "--"),
    ("LOAD_CLOSURE", "-- cells[arg]"),
    ("LOAD_GLOBAL", "-- globals-or-builtins[names[arg]]"),
    ("STORE_GLOBAL", "x --"),
    ("DELETE_GLOBAL", "--"),
    ("MAKE_FUNCTION", "defaults kwdefaults closure -- fn       # arg: code index"),
    # -- operators ----------------------------------------------------------------------
    ("UNARY", "x -- op(x)                                  # arg: UNARY_OPS index"),
    ("BINARY", "a b -- a op b                              # arg: BINARY_OPS index"),
    ("INPLACE", "a b -- a op= b                            # arg: BINARY_OPS index"),
    ("COMPARE", "a b -- a op b                             # arg: COMPARE_OPS index"),
    # -- containers ---------------------------------------------------------------------
    ("BUILD_LIST", "x1 .. xn -- [x1, .., xn]"),
    ("BUILD_TUPLE", "x1 .. xn -- (x1, .., xn)"),
    ("BUILD_SET", "x1 .. xn -- {x1, .., xn}"),
    ("BUILD_MAP", "k1 v1 .. kn vn -- {k1: v1, ..}"),
    ("BUILD_STRING", "s1 .. sn -- s1 + .. + sn"),
    ("BUILD_SLICE", "lo hi [step] -- slice                    # arg: 2 or 3"),
    ("LIST_APPEND", "list x1..x(arg-1) x -- list x1..x(arg-1)  # list.append(x)"),
    ("SET_ADD", "set x1..x(arg-1) x -- set x1..x(arg-1)"),
    ("MAP_ADD", "map x1..x(arg-1) k v -- map x1..x(arg-1)"),
    ("LIST_EXTEND", "list x1..x(arg-1) it -- list x1..x(arg-1)"),
    ("SET_UPDATE", "set x1..x(arg-1) it -- set x1..x(arg-1)"),
    ("DICT_UPDATE", "map x1..x(arg-1) m -- map x1..x(arg-1)     # {**m}"),
    ("DICT_MERGE", "map x1..x(arg-1) m -- map x1..x(arg-1)      # f(**m): duplicates are errors"),
    ("LIST_TO_TUPLE", "list -- tuple"),
    ("BINARY_SUBSCR", "obj key -- obj[key]"),
    ("STORE_SUBSCR", "value obj key --"),
    ("DELETE_SUBSCR", "obj key --"),
    ("UNPACK_SEQUENCE", "seq -- x(arg) .. x1"),
    ("UNPACK_EX", "seq -- after.. rest-list before..     # arg: before | after << 8"),
    ("LOAD_ATTR", "obj -- obj.names[arg]"),
    (
        "FORMAT_VALUE",
        "x [spec] -- str             # arg: conversion (0 none, 1 s, 2 r, 3 a) | 4 if spec",
    ),
    # -- control ------------------------------------------------------------------------
    ("JUMP", "--"),
    ("POP_JUMP_IF_FALSE", "x --"),
    ("POP_JUMP_IF_TRUE", "x --"),
    ("JUMP_IF_FALSE_OR_POP", "x -- x (jump) | --"),
    ("JUMP_IF_TRUE_OR_POP", "x -- x (jump) | --"),
    ("GET_ITER", "x -- iterator"),
    ("FOR_ITER", "it -- it x  | it -- (exhausted: jump to arg)"),
    ("RETURN_VALUE", "x --                         # leaves the frame"),
    ("SAVE_RETURN", "x --                          # frame.retval = x, before unwinding blocks"),
    ("RETURN_SAVED", "--                           # return frame.retval"),
    # -- exceptions and blocks ----------------------------------------------------------
    ("SETUP_EXCEPT", "--    # push a handler block: on error, truncate stack, push exc, jump arg"),
    ("SETUP_FINALLY", "--   # same, for a finally handler (no 'handled exception' state)"),
    ("POP_BLOCK", "--       # the protected region ended normally"),
    ("POP_EXCEPT", "--      # an except body ended: forget the exception being handled"),
    ("CHECK_EXC_MATCH", "exc type -- bool        # isinstance-like match of an except clause"),
    ("RAISE", "[exc [cause]] --        # arg 0: re-raise the handled exception"),
    ("RERAISE", "exc --                 # propagate a caught exception, traceback kept"),
    ("LOAD_ASSERTION_ERROR", "-- AssertionError"),
    ("WITH_ENTER", "cm -- cm value"),
    ("WITH_EXIT", "cm --"),
    # -- calls, modules, effects --------------------------------------------------------
    ("CALL", "fn a1 .. an -- result"),
    ("CALL_KW", "fn a1 .. an names -- result          # the last len(names) args are keywords"),
    ("CALL_EX", "fn args [kwargs] -- result           # arg: 1 if kwargs"),
    ("AWAIT", "x -- result"),
    ("IMPORT_NAME", "-- module                              # names[arg] is 'flow.time'"),
    ("IMPORT_FROM", "module -- module module.names[arg]"),
]

OPNAMES: list[str] = [name for name, _ in _TABLE]
STACK_PICTURES: dict[str, str] = dict(_TABLE)
OPCODES: dict[str, int] = {name: i for i, name in enumerate(OPNAMES)}

NOP = OPCODES["NOP"]
POP_TOP = OPCODES["POP_TOP"]
DUP_TOP = OPCODES["DUP_TOP"]
DUP_TOP_TWO = OPCODES["DUP_TOP_TWO"]
ROT_TWO = OPCODES["ROT_TWO"]
ROT_THREE = OPCODES["ROT_THREE"]
LOAD_CONST = OPCODES["LOAD_CONST"]
LOAD_FAST = OPCODES["LOAD_FAST"]
STORE_FAST = OPCODES["STORE_FAST"]
DELETE_FAST = OPCODES["DELETE_FAST"]
LOAD_DEREF = OPCODES["LOAD_DEREF"]
STORE_DEREF = OPCODES["STORE_DEREF"]
DELETE_DEREF = OPCODES["DELETE_DEREF"]
LOAD_CLOSURE = OPCODES["LOAD_CLOSURE"]
LOAD_GLOBAL = OPCODES["LOAD_GLOBAL"]
STORE_GLOBAL = OPCODES["STORE_GLOBAL"]
DELETE_GLOBAL = OPCODES["DELETE_GLOBAL"]
MAKE_FUNCTION = OPCODES["MAKE_FUNCTION"]
UNARY = OPCODES["UNARY"]
BINARY = OPCODES["BINARY"]
INPLACE = OPCODES["INPLACE"]
COMPARE = OPCODES["COMPARE"]
BUILD_LIST = OPCODES["BUILD_LIST"]
BUILD_TUPLE = OPCODES["BUILD_TUPLE"]
BUILD_SET = OPCODES["BUILD_SET"]
BUILD_MAP = OPCODES["BUILD_MAP"]
BUILD_STRING = OPCODES["BUILD_STRING"]
BUILD_SLICE = OPCODES["BUILD_SLICE"]
LIST_APPEND = OPCODES["LIST_APPEND"]
SET_ADD = OPCODES["SET_ADD"]
MAP_ADD = OPCODES["MAP_ADD"]
LIST_EXTEND = OPCODES["LIST_EXTEND"]
SET_UPDATE = OPCODES["SET_UPDATE"]
DICT_UPDATE = OPCODES["DICT_UPDATE"]
DICT_MERGE = OPCODES["DICT_MERGE"]
LIST_TO_TUPLE = OPCODES["LIST_TO_TUPLE"]
BINARY_SUBSCR = OPCODES["BINARY_SUBSCR"]
STORE_SUBSCR = OPCODES["STORE_SUBSCR"]
DELETE_SUBSCR = OPCODES["DELETE_SUBSCR"]
UNPACK_SEQUENCE = OPCODES["UNPACK_SEQUENCE"]
UNPACK_EX = OPCODES["UNPACK_EX"]
LOAD_ATTR = OPCODES["LOAD_ATTR"]
FORMAT_VALUE = OPCODES["FORMAT_VALUE"]
JUMP = OPCODES["JUMP"]
POP_JUMP_IF_FALSE = OPCODES["POP_JUMP_IF_FALSE"]
POP_JUMP_IF_TRUE = OPCODES["POP_JUMP_IF_TRUE"]
JUMP_IF_FALSE_OR_POP = OPCODES["JUMP_IF_FALSE_OR_POP"]
JUMP_IF_TRUE_OR_POP = OPCODES["JUMP_IF_TRUE_OR_POP"]
GET_ITER = OPCODES["GET_ITER"]
FOR_ITER = OPCODES["FOR_ITER"]
RETURN_VALUE = OPCODES["RETURN_VALUE"]
SAVE_RETURN = OPCODES["SAVE_RETURN"]
RETURN_SAVED = OPCODES["RETURN_SAVED"]
SETUP_EXCEPT = OPCODES["SETUP_EXCEPT"]
SETUP_FINALLY = OPCODES["SETUP_FINALLY"]
POP_BLOCK = OPCODES["POP_BLOCK"]
POP_EXCEPT = OPCODES["POP_EXCEPT"]
CHECK_EXC_MATCH = OPCODES["CHECK_EXC_MATCH"]
RAISE = OPCODES["RAISE"]
RERAISE = OPCODES["RERAISE"]
LOAD_ASSERTION_ERROR = OPCODES["LOAD_ASSERTION_ERROR"]
WITH_ENTER = OPCODES["WITH_ENTER"]
WITH_EXIT = OPCODES["WITH_EXIT"]
CALL = OPCODES["CALL"]
CALL_KW = OPCODES["CALL_KW"]
CALL_EX = OPCODES["CALL_EX"]
AWAIT = OPCODES["AWAIT"]
IMPORT_NAME = OPCODES["IMPORT_NAME"]
IMPORT_FROM = OPCODES["IMPORT_FROM"]

JUMP_OPS: frozenset[int] = frozenset(
    {
        JUMP,
        POP_JUMP_IF_FALSE,
        POP_JUMP_IF_TRUE,
        JUMP_IF_FALSE_OR_POP,
        JUMP_IF_TRUE_OR_POP,
        FOR_ITER,
        SETUP_EXCEPT,
        SETUP_FINALLY,
    }
)

# Operator arguments of UNARY / BINARY / INPLACE / COMPARE, by index.
UNARY_OPS: list[str] = ["-", "+", "not", "~"]
BINARY_OPS: list[str] = ["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@"]
COMPARE_OPS: list[str] = ["<", "<=", "==", "!=", ">", ">=", "in", "not in", "is", "is not"]

# Block kinds on a frame's block stack (SETUP_EXCEPT / SETUP_FINALLY push the
# first two; the VM pushes EXCEPT_HANDLER when it enters an except body).
BLOCK_EXCEPT = 0
BLOCK_FINALLY = 1
BLOCK_EXCEPT_HANDLER = 2

# The standard modules and the names each exports. The compiler checks
# `import` statements against this table so that a typo is a compile error
# with a line and column; the VM's module objects must export exactly these
# names (a test holds them to it).
STANDARD_MODULES: dict[str, tuple[str, ...]] = {
    "flow": ("http", "time", "task", "connector", "json", "random"),
    "flow.http": ("request", "callback", "Response", "HTTPError", "Timeout", "ConnectorError"),
    "flow.time": ("sleep", "now", "timeout", "forever", "Timeout"),
    "flow.task": (
        "spawn",
        "send",
        "receive",
        "self_id",
        "wait_all",
        "wait_any",
        "TaskFailed",
        "Cancelled",
    ),
    "flow.connector": ("call", "ConnectorError"),
    "flow.json": ("dumps", "loads"),
    "flow.random": ("random", "randint", "uniform", "choice", "shuffle", "sample", "uuid4"),
}
