"""Each construct of the language, run in Flowmetal and in CPython: same result, same error."""

from __future__ import annotations

import textwrap

import pytest

SNIPPETS: dict[str, str] = {
    "arithmetic": """
        def main():
            return [7 // 2, -7 // 2, 7 % -3, -7 % 3, 2 ** 100, 10 / 4, 0.1 + 0.2, 1e300 * 10,
                    -2 ** 2, ~5, 7 & 3 | 8 ^ 1, 1 << 70, (1 << 70) >> 68, divmod(-7, 2), 3 * 'ab']
    """,
    "float_repr": """
        def main():
            return [repr(1.0), repr(0.1), str(1e16), repr(-0.0), str(2.5e-7), 1/3]
    """,
    "truthiness_and_short_circuit": """
        def main():
            return [0 or "x", "" and 1, [] or [], None or 0 or "last", 1 and 2 and 3,
                    not [], not [0], bool({}), 0 if [] else 1]
    """,
    "chained_comparisons": """
        calls = []
        def v(x):
            calls.append(x)
            return x
        def main():
            r = [1 < 2 < 3, 1 < 3 < 2, v(1) < v(0) < v(5), 1 == 1.0 != 2, 'a' < 'b' <= 'b']
            return [r, calls]
    """,
    "membership_identity": """
        def main():
            a = [1, 2]
            b = a
            return [2 in a, 3 not in a, 'b' in 'abc', 'k' in {'k': 1}, a is b, a is not [1, 2],
                    None is None, 1 in {1, 2}]
    """,
    "closures_late_binding": """
        def main():
            fs = [lambda: i for i in range(3)]
            gs = [lambda i=i: i for i in range(3)]
            return [f() for f in fs] + [g() for g in gs]
    """,
    "defaults_evaluated_once": """
        def add(x, acc=[]):
            acc.append(x)
            return acc
        def main():
            add(1)
            return add(2)
    """,
    "nonlocal_and_global": """
        counts = {"n": 0}
        def bump():
            counts["n"] += 1
        def make():
            n = 0
            def inc(by=1):
                nonlocal n
                n += by
                return n
            return inc
        def main():
            inc = make()
            inc(); inc(5)
            bump(); bump()
            return [inc(), counts["n"]]
    """,
    "nested_closures": """
        def outer(a):
            def middle(b):
                def inner(c):
                    return a + b + c
                return inner
            return middle
        def main():
            return outer(1)(10)(100)
    """,
    "args_kwargs": """
        def f(a, b=2, *rest, c, d=4, **kw):
            return [a, b, rest, c, d, kw]
        def main():
            return [f(1, c=3), f(1, 2, 3, 4, c=5, z=6), f(*[1, 2], **{"c": 9, "d": 8}),
                    f(1, *(7, 8), c=0, **{"y": 1})]
    """,
    "call_errors": """
        def f(a, b):
            return a
        def main():
            out = []
            for call in [lambda: f(1), lambda: f(1, 2, 3), lambda: f(1, b=2, c=3), lambda: f(1, a=2)]:
                try:
                    call()
                except TypeError as e:
                    out.append(str(e))
            return out
    """,
    "unpacking": """
        def main():
            a, b = 1, 2
            a, b = b, a
            (c, d), e = [3, 4], 5
            f, *g, h = range(6)
            *i, j = "xyz"
            for k, (l, m) in enumerate([(1, 2), (3, 4)]):
                pass
            return [a, b, c, d, e, f, g, h, i, j, k, l, m]
    """,
    "unpacking_errors": """
        def main():
            out = []
            try:
                a, b = [1, 2, 3]
            except ValueError as e:
                out.append(str(e))
            try:
                a, b, c = [1]
            except ValueError as e:
                out.append(str(e))
            try:
                a, *b, c = [1]
            except ValueError as e:
                out.append(str(e))
            return out
    """,
    "slicing": """
        def main():
            s = list(range(10))
            t = "abcdefgh"
            s[2:4] = ["x"]
            del s[0]
            return [s[1:3], s[::-1], s[-3:], t[::2], t[5:1:-1], (1, 2, 3)[1:], s[:100]]
    """,
    "fstrings_and_format_specs": """
        def main():
            x, w, name = 3.14159, 10, "flow"
            return [f"{x:.2f}", f"{x:>{w}.3}", f"{name!r}", f"{name:^9}|", f"{42:08b}",
                    f"{1234567:,}", f"{'a' + 'b'}{{}}", f"{[1, 'a']}", f"{0.5:%}", f"{x=}"]
    """,
    "percent_formatting": """
        def main():
            return ["%s-%d-%.2f" % ("a", 3, 1.5), "%r" % ("q",), "%(k)s" % {"k": 1}, "%5s|" % "ab",
                    "%x %o %e" % (255, 8, 12345.678)]
    """,
    "dict_order_and_ops": """
        def main():
            d = {"b": 1, "a": 2}
            d["c"] = 3
            del d["b"]
            d["b"] = 4
            e = {**d, "a": 9}
            return [list(d), list(d.items()), e, {k: v for k, v in d.items() if v > 2}]
    """,
    "loops_over_everything": """
        def main():
            out = []
            for x in [1, 2]:
                out.append(x)
            for x in (3,):
                out.append(x)
            for x in "ab":
                out.append(x)
            for x in range(2, 8, 3):
                out.append(x)
            for k in {"p": 1, "q": 2}:
                out.append(k)
            for k, v in {"r": 1}.items():
                out.append([k, v])
            for v in {"s": 5}.values():
                out.append(v)
            for x in sorted({9, 8}):
                out.append(x)
            for i, x in enumerate("cd", 1):
                out.append([i, x])
            for a, b in zip([1, 2], "xy"):
                out.append([a, b])
            for x in reversed([1, 2, 3]):
                out.append(x)
            return out
    """,
    "loop_else_break_continue": """
        def main():
            out = []
            for i in range(5):
                if i == 1:
                    continue
                if i == 3:
                    break
                out.append(i)
            else:
                out.append("no")
            for i in range(2):
                pass
            else:
                out.append("else")
            n = 0
            while n < 3:
                n += 1
            else:
                out.append(n)
            while True:
                break
            else:
                out.append("never")
            return out
    """,
    "mutating_dict_while_iterating": """
        def main():
            d = {"a": 1}
            for k in d:
                d["b"] = 2
    """,
    "list_mutation_during_loop": """
        def main():
            xs = [1, 2, 3]
            seen = []
            for x in xs:
                seen.append(x)
                if x == 1:
                    xs.append(4)
            return seen
    """,
    "try_except_else_finally": """
        def f(x):
            out = []
            try:
                out.append("try")
                if x == 1:
                    raise ValueError("v")
                if x == 2:
                    raise KeyError("k")
            except ValueError as e:
                out.append("value " + str(e))
            except (KeyError, IndexError) as e:
                out.append("lookup " + repr(e))
            else:
                out.append("else")
            finally:
                out.append("finally")
            return out
        def main():
            return [f(0), f(1), f(2)]
    """,
    "finally_on_return_break_continue": """
        log = []
        def ret():
            try:
                return "body"
            finally:
                log.append("f1")
        def override():
            try:
                return 1
            finally:
                return 2
        def loop():
            for i in range(3):
                try:
                    if i == 0:
                        continue
                    if i == 1:
                        break
                finally:
                    log.append(("loop", i))
            return i
        def nested():
            try:
                try:
                    return "inner"
                finally:
                    log.append("a")
            finally:
                log.append("b")
        def swallow():
            for i in range(2):
                try:
                    raise ValueError
                finally:
                    break
            return "swallowed"
        def main():
            return [ret(), override(), loop(), nested(), swallow(), log]
    """,
    "except_name_unbound_after": """
        def main():
            try:
                raise ValueError("x")
            except ValueError as e:
                pass
            try:
                return e
            except NameError as err:
                return ["unbound", type(err).__name__]
    """,
    "reraise_and_raise_from": """
        def inner():
            try:
                {}["k"]
            except KeyError:
                raise
        def main():
            out = []
            try:
                inner()
            except LookupError as e:
                out.append(repr(e))
            try:
                try:
                    1 / 0
                except ZeroDivisionError as z:
                    raise ValueError("wrapped") from z
            except ValueError as v:
                out.append([str(v), type(v.__cause__).__name__])
            try:
                raise RuntimeError
            except RuntimeError as r:
                out.append(r.args)
            return out
    """,
    "bare_raise_without_exception": """
        def main():
            raise
    """,
    "exception_in_finally_replaces": """
        def main():
            try:
                try:
                    raise ValueError("first")
                finally:
                    raise KeyError("second")
            except Exception as e:
                return repr(e)
    """,
    "return_inside_except_and_with": """
        from flow.time import forever
        def a():
            try:
                raise ValueError
            except ValueError:
                return "from except"
        def b():
            for i in range(3):
                with forever():
                    if i == 1:
                        return i
        def main():
            return [a(), b()]
    """,
    "assert_statement": """
        def main():
            out = []
            try:
                assert 1 == 2, "nope"
            except AssertionError as e:
                out.append(str(e))
            try:
                assert []
            except AssertionError as e:
                out.append(e.args)
            assert True
            return out
    """,
    "del_statement": """
        def main():
            x = 1
            xs = [1, 2, 3]
            d = {"a": 1, "b": 2}
            del xs[0], d["a"]
            del x
            try:
                x
            except UnboundLocalError as e:
                return [xs, d, str(e)]
    """,
    "comprehension_scopes": """
        x = "global"
        def main():
            x = "local"
            a = [x for _ in range(1)]
            b = [[i * j for j in range(3)] for i in range(3)]
            c = {i % 3 for i in range(10)}
            d = [y for y in range(10) if y % 2 if y > 3]
            e = [(i, j) for i in range(3) for j in range(i)]
            return [a, b, sorted(c), d, e]
    """,
    "generator_expressions": """
        def main():
            return [sum(x * x for x in range(10)), list(x for x in "ab"), any(x > 2 for x in [1, 3]),
                    max((len(w), w) for w in ["a", "ccc", "bb"]), sorted(x for x in {3, 1, 2})]
    """,
    "big_ints": """
        def main():
            n = 1
            for i in range(1, 40):
                n *= i
            return [n, n // 7 ** 20, -n % 1000003, str(2 ** 200)[:20]]
    """,
    "strings": """
        def main():
            s = "Hello, World"
            return [s.lower(), s.split(", "), "-".join(["a", "b"]), s[7:], s.find("o"), len(s),
                    s * 2, s.startswith("He"), s.replace("l", "L", 2), "  x ".strip()]
    """,
    "isinstance_and_exceptions": """
        def main():
            e = KeyError("k")
            return [isinstance(e, LookupError), isinstance(e, Exception), isinstance(e, ValueError),
                    isinstance(1, int), isinstance("s", (int, str)), isinstance(e, (IndexError, KeyError))]
    """,
    "recursion": """
        def fact(n):
            return 1 if n <= 1 else n * fact(n - 1)
        def ack(m, n):
            if m == 0:
                return n + 1
            if n == 0:
                return ack(m - 1, 1)
            return ack(m - 1, ack(m, n - 1))
        def main():
            return [fact(30), ack(2, 3)]
    """,
    "keyword_only_and_posonly": """
        def f(a, /, b, *, c=3):
            return [a, b, c]
        def main():
            return [f(1, 2), f(1, b=2, c=4)]
    """,
    "name_errors": """
        def main():
            return undefined_name
    """,
    "unbound_local": """
        def main():
            y = x
            x = 1
    """,
    "zero_division": """
        def main():
            return 1 % 0
    """,
    "type_error_from_operator": """
        def main():
            return 1 + "a"
    """,
    "not_callable": """
        def main():
            x = 5
            return x()
    """,
    "key_error_message": """
        def main():
            return {"a": 1}["b"]
    """,
    "attribute_error": """
        def main():
            return [].nope
    """,
    "while_with_state": """
        def collatz(n):
            steps = 0
            while n != 1:
                n = n // 2 if n % 2 == 0 else 3 * n + 1
                steps += 1
            return steps
        def main():
            return [collatz(n) for n in range(1, 30)]
    """,
    "augmented_assignment_targets": """
        def main():
            xs = [1, 2]
            alias = xs
            xs += [3]
            d = {"k": 1}
            d["k"] += 10
            xs[0] *= 5
            s = "a"
            s += "b"
            t = (1,)
            t += (2,)
            return [xs, alias, d, s, t, xs is alias]
    """,
    "lambda_and_sorted_key": """
        def main():
            people = [("bo", 30), ("al", 25), ("cy", 35)]
            return [sorted(people, key=lambda p: p[1]), sorted(people, key=lambda p: -p[1])[0],
                    list(map(lambda x: x * 2, [1, 2])), list(filter(lambda x: x % 2, range(5)))]
    """,
    "exception_in_sort_key": """
        def main():
            return sorted([1, 0], key=lambda x: 1 / x)
    """,
    "sets_and_frozensets": """
        def main():
            a = {1, 2, 3}
            b = frozenset([2, 3, 4])
            return [sorted(a & b), sorted(a | b), sorted(a - b), sorted(a ^ b), 2 in b, len({*a, *b})]
    """,
    "conditional_import_free_module": """
        import flow.json as fj
        from flow.json import dumps
        def main():
            return [dumps({"a": [1, 2]}), fj.loads("[1, 2]")]
    """,
    "control_flow_through_handlers": """
        def main():
            log = []
            for i in range(3):
                try:
                    raise ValueError(i)
                finally:
                    log.append(("f", i))
                    continue
            for i in range(3):
                try:
                    [][i]
                except IndexError:
                    if i == 1:
                        break
                    log.append(("e", i))
            n = 0
            while n < 4:
                n += 1
                try:
                    if n % 2:
                        continue
                    log.append(("w", n))
                finally:
                    log.append(("wf", n))
            try:
                x = [1 / v for v in (1, 0)]
            except ZeroDivisionError as e:
                log.append(str(e))
            return log
    """,
    "star_args_from_generators": """
        def f(*args, **kw):
            return [args, kw]
        def main():
            return [f(*(x * 2 for x in range(3))), f(*"ab", **dict(a=1)), f(*[], **{})]
    """,
}

# Module-level `import flow...` is Flowmetal only: give CPython a stand-in.
_PY_PRELUDE = {
    "return_inside_except_and_with": "from contextlib import nullcontext as forever\n",
    "conditional_import_free_module": "",
}


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_snippet_matches_cpython(name: str, same_as_python) -> None:
    source = textwrap.dedent(SNIPPETS[name])
    if name == "conditional_import_free_module":
        from flowmetal.vm import run_value

        assert run_value(source) == ['{"a": [1, 2]}', [1, 2]]
        return
    if name in _PY_PRELUDE:
        from vm_differential import run_cpython, run_flowmetal

        py_source = source.replace("from flow.time import forever\n", _PY_PRELUDE[name])
        assert run_flowmetal(source) == run_cpython(py_source)
        return
    same_as_python(source)


def test_generator_expression_is_evaluated_eagerly() -> None:
    """A documented difference: a generator expression is a list under the hood."""
    from flowmetal.vm import run_value

    source = textwrap.dedent(
        """
        def main():
            seen = []
            def note(x):
                seen.append(x)
                return x
            g = (note(x) for x in range(3))
            before = list(seen)
            return [before, list(g), list(g)]
        """
    )
    # In Python `before` would be [] and the second list(g) empty too.
    assert run_value(source) == [[0, 1, 2], [0, 1, 2], []]


def test_with_on_a_plain_value_is_a_type_error() -> None:
    from flowmetal.vm import run_pure

    r = run_pure("def main():\n    with [1]:\n        pass\n", "w.flow")
    assert r.status == "failed"
    assert r.error is not None
    assert r.error.type == "TypeError"
    assert "context manager" in r.error.message


def test_except_name_is_unbound_after_break(same_as_python) -> None:
    same_as_python(
        textwrap.dedent(
            """
            def main():
                for i in range(2):
                    try:
                        raise ValueError(i)
                    except ValueError as e:
                        break
                try:
                    return e
                except NameError as err:
                    return ["unbound", type(err).__name__]
            """
        )
    )
