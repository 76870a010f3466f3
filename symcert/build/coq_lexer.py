"""Coq's sentences, read with Coq's own lexical rules: what the screen and the binding look at.

A Coq file is a sequence of sentences. Following Coq's lexer (``clexer.ml``):

- a comment runs from ``(*`` to the matching ``*)``; comments nest, and a string inside a comment is
  read as a string, so ``(* "*)" *)`` is one comment (Coq warns, then does the same);
- a string runs from ``"`` to the next ``"`` not doubled (``""`` is a quote inside a string);
- a sentence ends at a ``.`` followed by a blank (space, tab, newline, carriage return) or by the end of
  the file, so ``Qed .`` ends a sentence as ``Qed.`` does, while ``Coq.Reals`` and ``x.(f)`` do not.

Text that these rules alone cannot place exactly is refused, with its line: an unterminated comment or
string, a run of dots (``..``, ``...``, which Coq reads as tokens of their own), a character outside
printable ASCII in code (Unicode blanks and notations), and control characters other than tab,
newline and carriage return.

>>> [(s.line, s.text) for s in sentences("Lemma a : True.\\n(* (* *) *) Proof. exact I. Qed .")]
[(1, 'Lemma a : True.'), (2, 'Proof.'), (2, 'exact I.'), (2, 'Qed .')]
>>> sentences('Definition s := "a"" (*".')[0].strings
1
>>> sentences("Lemma a : True. (* open")
Traceback (most recent call last):
...
symcert.errors.CoqError: line 1: the comment opened here is never closed
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symcert.errors import CoqError

__all__ = ["Sentence", "sentences", "head_word"]

_BLANKS = " \t\n\r"


@dataclass(frozen=True)
class Sentence:
    """One sentence: its code with comments removed and blanks collapsed to single spaces, the line
    where its code starts, and how many string literals it holds. The last sentence of a file that
    does not end with ``.`` is kept as it is (its text then does not end with ``.``)."""

    text: str
    line: int
    strings: int = 0

    @property
    def ended(self) -> bool:
        """True when the sentence ends with its terminating ``.``."""
        return self.text.endswith(".")


def _skip_string(text: str, i: int, line: int, where: str) -> tuple[int, int]:
    """From the opening quote at ``i``: the index after the closing quote, and the line there."""
    start, j = line, i + 1
    while True:
        k = text.find('"', j)
        if k < 0:
            raise CoqError(f"line {start}: the string opened here{where} is never closed")
        if text.startswith('""', k):
            j = k + 2
            continue
        return k + 1, line + text.count("\n", i, k + 1)


def _skip_comment(text: str, i: int, line: int) -> tuple[int, int]:
    """From the ``(*`` at ``i``: the index after the matching ``*)``, and the line there."""
    start, depth, i = line, 1, i + 2
    while depth:
        match = re.compile(r'\(\*|\*\)|"|\n').search(text, i)
        if match is None:
            raise CoqError(f"line {start}: the comment opened here is never closed")
        token, i = match.group(0), match.end()
        if token == "\n":
            line += 1
        elif token == '"':
            i, line = _skip_string(text, match.start(), line, " inside a comment")
        else:
            depth += 1 if token == "(*" else -1
    return i, line


def sentences(text: str) -> tuple[Sentence, ...]:
    """The sentences of a Coq file, in order (see the module docstring for the rules).

    Raises :class:`~symcert.errors.CoqError` with the line, in one sentence, where the rules do not
    place the text exactly.
    """
    out: list[Sentence] = []
    code: list[str] = []
    first: int | None = None
    strings, line, i, n = 0, 1, 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            i, line = _skip_comment(text, i, line)
            code.append(" ")
            continue
        if c == '"':
            end, after = _skip_string(text, i, line, "")
            first = line if first is None else first
            code.append(text[i:end])
            strings, i, line = strings + 1, end, after
            continue
        if c == "." and text.startswith("..", i):
            raise CoqError(f"line {line}: a run of dots ('..') is a token of its own in Coq; write one '.'")
        if c == "\n":
            line += 1
        elif c not in _BLANKS and not (" " <= c <= "~"):
            what = "a control character" if c < " " or c == "\x7f" else "a character outside ASCII"
            raise CoqError(f"line {line}: {what} ({c!r}) outside a comment; symcert's proofs need none")
        elif c not in _BLANKS and first is None:
            first = line
        code.append(c)
        i += 1
        if c == "." and (i == n or text[i] in _BLANKS):
            out.append(
                Sentence(" ".join("".join(code).split()), first if first is not None else line, strings)
            )
            code, first, strings = [], None, 0
    rest = " ".join("".join(code).split())
    if rest:
        out.append(Sentence(rest, first if first is not None else line, strings))
    return tuple(out)


_LEAD = re.compile(r"(?:[-+*]+|[{}]|(?:\d+(?:\s*-\s*\d+)?(?:\s*,\s*\d+(?:\s*-\s*\d+)?)*|all|par|!)\s*:)\s*")


def head_word(text: str) -> str:
    """The first word of a sentence after bullets, braces and goal selectors (empty when none).

    >>> head_word("- { 2: exact I."), head_word("Qed ."), head_word("#[local] Definition x := 1.")
    ('exact', 'Qed', '#')
    """
    position = 0
    while True:
        lead = _LEAD.match(text, position)
        if lead is None or lead.end() == position:
            break
        position = lead.end()
    word = re.match(r"[A-Za-z_][\w']*|\S?", text[position:])
    return word.group(0) if word else ""
