"""A small OData v4 `$filter` parser: comparison, logical and string functions over typed properties.

Literals are checked against the property's type when the expression is parsed (as an OData
service does), so a bad expression is a 400 even when the collection is empty. Evaluation never
raises: a null compared with gt/lt is simply false.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from simulators.erp.odata_types import FieldType, ODataError, Schema, coerce, tokenize

Predicate = Callable[[dict[str, Any]], bool]

MAX_DEPTH = 32
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FUNCTIONS: dict[str, Callable[[str, str], bool]] = {
    "contains": lambda a, b: b in a, "startswith": lambda a, b: a.startswith(b), "endswith": lambda a, b: a.endswith(b)}


class _Parser:
    def __init__(self, text: str, schema: Schema) -> None:
        self.tokens, self.schema, self.i, self.depth = tokenize(text), schema, 0, 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def word(self) -> str | None:
        token = self.peek()
        return token[1].lower() if token and token[0] == "ident" else None

    def take(self, value: str | None = None) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ODataError(f"expression ends early{f'; expected {value!r}' if value else ''}")
        if value is not None and token[1].lower() != value:
            raise ODataError(f"expected {value!r} at position {token[2]}, found {token[1]!r}")
        self.i += 1
        return token

    def parse(self) -> Predicate:
        predicate = self.or_expr()
        if (token := self.peek()) is not None:
            raise ODataError(f"unexpected {token[1]!r} at position {token[2]}")
        return predicate

    def or_expr(self) -> Predicate:
        left = self.and_expr()
        while self.word() == "or":
            self.take()
            left = (lambda a, b: lambda row: a(row) or b(row))(left, self.and_expr())
        return left

    def and_expr(self) -> Predicate:
        left = self.unary()
        while self.word() == "and":
            self.take()
            left = (lambda a, b: lambda row: a(row) and b(row))(left, self.unary())
        return left

    def unary(self) -> Predicate:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ODataError(f"expression nests deeper than {MAX_DEPTH} levels")
        try:
            if self.word() == "not":
                self.take()
                inner = self.unary()
                return lambda row: not inner(row)
            token = self.peek()
            if token and token[1] == "(":
                self.take("(")
                inner = self.or_expr()
                self.take(")")
                return inner
            if self.word() in FUNCTIONS:
                return self.function()
            return self.comparison()
        finally:
            self.depth -= 1

    def property(self) -> tuple[str, FieldType]:
        kind, value, pos = self.take()
        if kind != "ident":
            raise ODataError(f"expected a property name at position {pos}, found {value!r}")
        if value not in self.schema:
            raise ODataError(f"property {value!r} does not exist; filterable: {', '.join(sorted(self.schema))}")
        return value, self.schema[value]

    def function(self) -> Predicate:
        name = self.take()[1].lower()
        self.take("(")
        field, kind = self.property()
        if kind != "string":
            raise ODataError(f"{name}() needs a string property; {field!r} is {kind}")
        self.take(",")
        needle = self.literal("string", field)
        self.take(")")
        test = FUNCTIONS[name]
        return lambda row: isinstance(v := row.get(field), str) and bool(test(v, needle))

    def comparison(self) -> Predicate:
        field, kind = self.property()
        op_token = self.take()
        op = op_token[1].lower()
        if op == "in":
            return self.membership(field, kind)
        if op not in COMPARISONS:
            raise ODataError(f"expected an operator (eq, ne, gt, ge, lt, le, in) at position {op_token[2]}")
        if kind == "boolean" and op not in ("eq", "ne"):
            raise ODataError(f"{op} is not defined for boolean property {field!r}")
        right = self.literal(kind, field)
        return _compare(op, field, kind, right)

    def membership(self, field: str, kind: FieldType) -> Predicate:
        self.take("(")
        values = [self.literal(kind, field)]
        while (token := self.peek()) and token[1] == ",":
            self.take(",")
            values.append(self.literal(kind, field))
        self.take(")")
        return lambda row: coerce(kind, row.get(field)) in values

    def literal(self, kind: FieldType, field: str) -> Any:
        token_kind, text, pos = self.take()
        if token_kind == "ident" and text.lower() == "null":
            return None
        value: Any = None
        if token_kind == "string":
            value = text[1:-1].replace("''", "'")
            value = value if kind == "string" else coerce(kind, value)
        elif kind == "number" and token_kind == "number":
            value = _number(text)
        elif kind == "boolean" and token_kind == "ident" and text.lower() in ("true", "false"):
            value = text.lower() == "true"
        elif kind in ("date", "datetime") and token_kind in ("date", "datetime"):
            value = coerce(kind, text)
        if value is None or (isinstance(value, float) and value != value) or value in (float("inf"), float("-inf")):
            raise ODataError(f"{text!r} at position {pos} is not a valid {kind} literal for {field!r}")
        return value


def _number(text: str) -> float | int | None:
    try:
        return float(text) if re.search(r"[.eE]", text) else int(text)
    except ValueError:  # e.g. more digits than int() accepts
        return None


def _compare(op: str, field: str, kind: FieldType, right: Any) -> Predicate:
    def test(row: dict[str, Any]) -> bool:
        left = coerce(kind, row.get(field))
        if op == "eq":
            return bool(left == right)
        if op == "ne":
            return bool(left != right)
        if left is None or right is None:
            return False
        return bool({"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op])
    return test


def parse_filter(text: str, schema: Schema) -> Predicate:
    """Compile `$filter`; raises ODataError (HTTP 400) on anything it does not understand."""
    if not text.strip():
        raise ODataError("$filter is empty")
    return _Parser(text, schema).parse()
