"""The precomputed LALR tables are current, and parse exactly as the grammar does."""

from syntax_snippets import SNIPPETS

from flowmetal.syntax import _grammar, _tables
from flowmetal.syntax._lexing import FlowIndenter


def test_tables_are_current() -> None:
    # Fails after a grammar edit or a lark upgrade: run `python -m flowmetal.syntax._grammar`.
    assert _tables.KEY == _grammar.tables_key(_grammar.grammar_text())


def test_tables_parse_as_the_grammar_does() -> None:
    loaded = _grammar.build(FlowIndenter())
    built = _grammar.from_grammar(_grammar.grammar_text(), FlowIndenter(), _grammar.not_layout)
    assert loaded.parser is not built.parser
    for source in SNIPPETS:
        a = loaded.parse(source, start="file_input")
        b = built.parse(source, start="file_input")
        assert a == b, source
        assert [t.meta.__dict__ for t in a.iter_subtrees()] == [
            t.meta.__dict__ for t in b.iter_subtrees()
        ], source
