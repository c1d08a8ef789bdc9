"""Request bodies: bounded in size, strictly JSON, and never a 500.

The limit is ``POLLING_MAX_CONTENT_LENGTH`` (Flask's ``MAX_CONTENT_LENGTH`` is set from it).
A declared ``Content-Length`` over it is refused before anything reads the body; a streamed
(chunked) body is read at most up to the limit, then refused. Werkzeug's own
``request.get_data()`` is not enough for the second case: on a chunked body it stops at the
limit and returns the first ``limit`` bytes as if they were the whole body, so the reader
here reads up to one byte further and answers 413 if that byte exists.

Everything undecodable is a 400: a body that is not declared JSON, not UTF-8, not JSON,
nested deeper than :data:`MAX_DEPTH`, holding NaN/Infinity, a duplicate key or an integer
longer than :data:`MAX_INT_DIGITS`, or not an object at all.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

from flask import Flask, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

#: Deepest nesting of arrays and objects accepted. The API's only body is flat; this bound
#: keeps the parser (and anything that walks the result, like repr) far from the recursion
#: limit, which 100000 ``[`` would otherwise hit as a RecursionError.
MAX_DEPTH = 32

#: Longest integer literal accepted. Ids are 64-bit (19 digits); a longer literal is refused
#: before Python converts it (conversion cost grows with the square of the length).
MAX_INT_DIGITS = 40

#: A JSON string (to its closing quote, or to the end if unterminated) or a bracket.
#: Possessive, so an unterminated string costs one linear scan, never a backtrack.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*+"?|[\[\]{}]', re.DOTALL)


def max_content_length() -> int:
    """The largest body accepted, in bytes."""
    return int(current_app.config["POLLING_MAX_CONTENT_LENGTH"])


def too_large() -> RequestEntityTooLarge:
    """The 413 for a body over the limit."""
    return RequestEntityTooLarge(
        description=f"request body is larger than {max_content_length()} bytes"
    )


def refuse_declared_oversize() -> None:
    """Before any other hook: a declared Content-Length over the limit is a 413 at once.

    Applies to every endpoint, those that ignore their body included, so the worker neither
    authenticates nor routes a request it will refuse, and reads none of its body.
    """
    length = request.content_length
    if length is not None and length > max_content_length():
        raise too_large()


def read_body() -> bytes:
    """The request body; 413 past the limit, having read at most one byte beyond it."""
    limit = max_content_length()
    length = request.content_length
    if length is not None and length > limit:
        raise too_large()
    # request.stream is bounded by Content-Length when there is one. A chunked body (the
    # server sets wsgi.input_terminated) is bounded by request.max_content_length: one byte
    # more than the limit here, so that a body of exactly ``limit`` bytes is told apart from
    # a longer one. Past that bound Werkzeug raises RequestEntityTooLarge itself.
    request.max_content_length = limit + 1
    stream = request.stream
    data = bytearray()
    try:
        while len(data) <= limit:
            chunk = stream.read(limit + 1 - len(data))
            if not chunk:
                break
            data += chunk
    except RequestEntityTooLarge:
        raise too_large() from None
    if len(data) > limit:
        raise too_large()
    return bytes(data)


def _bad(message: str) -> NoReturn:
    abort(400, description=message)


def _reject_constant(name: str) -> NoReturn:
    # NaN, Infinity and -Infinity are not JSON (RFC 8259), though Python's json accepts them.
    raise ValueError(f"{name} is not valid JSON")


def _bounded_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"integer longer than {MAX_INT_DIGITS} digits")
    return int(literal)


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # With duplicate keys, parsers disagree on which value wins; accept no ambiguity.
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key in a JSON object")
    return result


def nesting_depth(text: str) -> int:
    """How deep arrays and objects nest in ``text``, brackets inside strings ignored.

    Exact for valid JSON; for invalid JSON at least as deep as the parser would recurse
    before it finds the error.
    """
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in ("]", "}"):
            depth -= 1
    return deepest


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or abort: 400 for anything else, 413 if too large."""
    if not request.is_json:
        _bad("expected a JSON body (Content-Type: application/json)")
    data = read_body()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        _bad("request body is not UTF-8")
    if nesting_depth(text) > MAX_DEPTH:
        _bad(f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        document = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_int=_bounded_int,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        _bad(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except (ValueError, RecursionError) as exc:
        # The hooks' ValueErrors; RecursionError only as a backstop (nesting_depth keeps the
        # parser far from the recursion limit).
        message = str(exc) if isinstance(exc, ValueError) else "JSON nested too deeply"
        _bad(f"malformed JSON: {message}")
    if not isinstance(document, dict):
        _bad("request body must be a JSON object")
    return document


def init_app(app: Flask) -> None:
    """Install the Content-Length check; call before any other before_request hook."""
    app.before_request(refuse_declared_oversize)
