"""The precomputed LALR tables are current, and parse exactly as the grammar does."""

import lark
import pytest
from syntax_snippets import SNIPPETS

from flowmetal.syntax import _grammar, _tables
from flowmetal.syntax._lexing import FlowIndenter


def test_tables_match_the_grammar() -> None:
    # Fails after a grammar edit: run `python -m flowmetal.syntax._grammar`.
    assert _tables.GRAMMAR_SHA256 == _grammar.grammar_sha256(_grammar.grammar_text())


@pytest.mark.skipif(_tables.LARK_VERSION != lark.__version__, reason="tables of another lark")
def test_tables_are_used_and_parse_as_the_grammar_does() -> None:
    # With another lark the tables are ignored (slower start, same parses): regenerate them.
    loaded = _grammar.load_tables(FlowIndenter(), _grammar.not_layout)
    assert loaded is not None
    built = _grammar.from_grammar(_grammar.grammar_text(), FlowIndenter(), _grammar.not_layout)
    for source in SNIPPETS:
        a = loaded.parse(source, start="file_input")
        b = built.parse(source, start="file_input")
        assert a == b, source
        assert [t.meta.__dict__ for t in a.iter_subtrees()] == [
            t.meta.__dict__ for t in b.iter_subtrees()
        ], source
