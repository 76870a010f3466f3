"""The screen a Coq file passes before its proof is trusted: forbidden commands, and axioms by full name.

Two checks, both needed because ``coqc`` accepts much that proves nothing:

1. :func:`screen_source` reads the text, split into sentences by Coq's own lexical rules
   (:mod:`symcert.build.coq_lexer`: nested comments, strings, ``Qed .``). It rejects, anywhere in the
   file (comments included), the words of commands that add assumptions or skip proofs:
   ``Axiom``/``Axioms``, ``Parameter``/``Parameters``, ``Conjecture``, ``Admitted``, ``admit``, ``Module``
   (and ``Module Type``, ``Declare Module``), commands that switch off the kernel's checks (``Unset``,
   ``bypass_check``, ``Typing Flags``), ``Primitive`` and ``Register``; and, in code, string literals,
   ``Local``/``Global`` and attributes ``#[...]``, and ``Variable(s)``, ``Hypothesis``/``Hypotheses``,
   ``Context`` and ``Let`` outside a ``Section``. Each reason names the line. :func:`screen_script`
   is stricter, for the proof scripts of a file bound to a certificate: tactics only.
2. :func:`assumption_commands` and :func:`trusted_axioms` check what ``Print Assumptions`` lists by
   fully qualified name: every axiom the theorem rests on must resolve (by ``Locate``, in the file's own
   environment) to an allowed name: :data:`ALLOWED_NAMES` (the reals, excluded middle, functional
   extensionality) or a constant of :data:`ALLOWED_MODULES` (the primitive 63-bit integers and floats the
   ``interval`` tactic computes with), listed from the installed library by ``Print Module``.
   A user module named like a library one (``Module Reals.``) cannot pass:
   its axioms resolve to the file's own path.

>>> screen_source("Module Reals. Axiom cheat : False. End Reals.")
('line 1: the file declares a module (Module), which could shadow a library name', \
'line 1: the file declares an axiom or parameter (Axiom)')
>>> screen_source("Section S. Variable s : nat. End S. Lemma t : True. Proof. exact I. Qed.")
()
>>> screen_source("Lemma t : True.\\nProof. exact I. Qed .\\nHypothesis cheat : False.")
('line 3: the file declares Hypothesis outside a section: an unproved premise',)
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from symcert.build.coq_lexer import Sentence, head_word, sentences
from symcert.errors import CoqError

__all__ = [
    "ALLOWED_NAMES",
    "ALLOWED_MODULES",
    "module_listing",
    "allowed_axioms",
    "screen_source",
    "screen_script",
    "SECTION_WORDS",
    "declaration_risk",
    "strip_comments",
    "assumption_commands",
    "trusted_axioms",
]

#: Axioms of the reals, excluded middle and functional extensionality, by fully qualified name.
ALLOWED_NAMES = (
    "Coq.Reals.ClassicalDedekindReals.sig_forall_dec",
    "Coq.Reals.ClassicalDedekindReals.sig_not_dec",
    "Coq.Logic.Classical_Prop.classic",
    "Coq.Logic.FunctionalExtensionality.functional_extensionality_dep",
)
#: Standard-library modules whose primitives and specifications ``interval`` computes with: every
#: constant they declare (read from the installed library with ``Print Module``) is allowed.
ALLOWED_MODULES = (
    "Coq.Numbers.Cyclic.Int63.Uint63",
    "Coq.Numbers.Cyclic.Int63.PrimInt63",
    "Coq.Floats.PrimFloat",
    "Coq.Floats.FloatAxioms",
)


def module_listing() -> str:
    """The Coq commands whose output :func:`allowed_axioms` reads."""
    lines = ["Require Import Reals Interval.Tactic."]
    lines += [f"Print Module {module}." for module in ALLOWED_MODULES]
    return "\n".join(lines) + "\n"


def allowed_axioms(listing: str) -> frozenset[str]:
    """Fully qualified allowed names from the output of :func:`module_listing` (one top-level
    ``Module`` header per module, then its ``Parameter`` declarations, indented once)."""
    names = set(ALLOWED_NAMES)
    module = -1
    for line in listing.splitlines():
        if line.startswith("Module"):
            module += 1
            continue
        found = re.match(r"^ {1,6}Parameter ([A-Za-z_][\w']*)", line)
        if found and 0 <= module < len(ALLOWED_MODULES):
            names.add(f"{ALLOWED_MODULES[module]}.{found.group(1)}")
    return frozenset(names)


_FORBIDDEN = [
    (r"\bModule\b", "the file declares a module (Module), which could shadow a library name"),
    (r"\b(Axioms?|Parameters?|Conjecture)\b", "the file declares an axiom or parameter ({0})"),
    (r"\bAdmitted\b", "the file admits a proof (Admitted)"),
    (r"\badmit\b", "the file admits a goal (admit)"),
    (r"\b(Unset|bypass_check|Typing\s+Flags)\b", "the file changes the kernel's checks ({0})"),
    (r"\b(Primitive|Register)\b", "the file declares primitives ({0})"),
    (r"\b(Extern|Extraction|Drop)\b", "the file uses a command symcert does not allow ({0})"),
]
#: Commands that declare what a section discharges into the statements of its theorems as premises.
SECTION_WORDS = ("Section", "Variable", "Variables", "Hypothesis", "Hypotheses", "Context", "Let")
_SECTION_ONLY = ("Variable", "Variables", "Hypothesis", "Hypotheses", "Context", "Let")
#: First words of sentences refused anywhere: they change where or how a declaration applies.
_SCOPE = {"Local": "Local", "Global": "Global", "#": "an attribute #[...]"}


def strip_comments(text: str) -> str:
    """``text`` with Coq comments ``(* ... *)`` (nested) replaced by a space; unclosed ones run to the end."""
    out, depth, i = [], 0, 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair == "(*":
            depth, i = depth + 1, i + 2
            continue
        if pair == "*)" and depth:
            depth, i = depth - 1, i + 2
            if not depth:
                out.append(" ")
            continue
        if not depth:
            out.append(text[i])
        i += 1
    return "".join(out)


def _line(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


def screen_source(text: str) -> tuple[str, ...]:
    """The reasons ``text`` cannot be trusted as a proof, whatever ``coqc`` says (empty when none).

    Each reason starts with the line it is about.
    """
    try:
        parts = sentences(text)
    except CoqError as error:
        return (str(error),)
    problems = []
    for pattern, message in _FORBIDDEN:
        found = re.search(pattern, text)
        if found:
            problems.append(f"line {_line(text, found.start())}: {message.format(found.group(0))}")
    depth = 0
    for sentence in parts:
        word = head_word(sentence.text)
        if sentence.strings:
            problems.append(
                f"line {sentence.line}: the file contains a string literal; symcert's proofs need none"
            )
        if word in _SCOPE:
            problems.append(
                f"line {sentence.line}: the file uses {_SCOPE[word]}, which changes where a declaration "
                "applies; symcert's proofs need none"
            )
        if word == "Section":
            depth += 1
        elif word == "End" and depth:
            depth -= 1
        elif depth == 0 and word in _SECTION_ONLY:
            problems.append(
                f"line {sentence.line}: the file declares {word} outside a section: an unproved premise"
            )
    if parts and not parts[-1].ended:
        problems.append(f"line {parts[-1].line}: the file ends inside a sentence (no final '.')")
    return tuple(dict.fromkeys(problems))


def declaration_risk(word: str) -> str | None:
    """Why a sentence starting with ``word`` can change what a file's theorems state (None: it cannot).

    >>> declaration_risk("Hypothesis")
    'Hypothesis declares a premise that the theorems after it may silently depend on'
    >>> declaration_risk("exact") is None
    True
    """
    if word == "Section":
        return "a section turns its Hypothesis, Variable, Context and Let into premises of its theorems"
    if word == "Let":
        return "Let declares a section-local definition, which can redefine what a statement means"
    if word in _SECTION_ONLY:
        return f"{word} declares a premise that the theorems after it may silently depend on"
    if word in _SCOPE:
        return f"{_SCOPE[word]} changes where a declaration applies"
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def screen_script(script: Sequence[Sentence]) -> tuple[str, ...]:
    """The reasons a proof script (the sentences between ``Proof.`` and ``Qed.``) is refused.

    A script holds tactics only: every sentence, after its bullets, braces and goal selectors, starts
    with a tactic's lower-case name (or a parenthesis, which no command starts with), and never with
    ``admit`` or ``give_up``. Commands (capitalised in
    Coq: ``Section``, ``Hypothesis``, ``Let``, ``Admitted``, ...) are refused, each with its line.

    >>> from symcert.build.coq_lexer import sentences
    >>> screen_script(sentences("intro H. - exact H."))
    ()
    >>> screen_script(sentences("intro H.\\nHypothesis cheat : False."))  # doctest: +NORMALIZE_WHITESPACE
    ('line 2: refused `Hypothesis cheat : False.`: a proof script holds tactics only: Hypothesis
      declares a premise that the theorems after it may silently depend on',)
    """
    problems = []
    for sentence in script:
        word = head_word(sentence.text)
        if word in ("admit", "give_up"):
            why = f"{word} gives up a goal"
        elif not re.fullmatch(r"[a-z_][\w']*|[(\[]", word):  # a tactic, or a parenthesised one
            why = "a proof script holds tactics only: " + (
                declaration_risk(word) or f"{word or 'this'} is a command"
            )
        else:
            continue
        problems.append(f"line {sentence.line}: refused `{_short(sentence.text)}`: {why}")
    return tuple(problems)


def _suffixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[k:]) for k in range(len(parts))]


def _candidates(allowed: frozenset[str]) -> list[str]:
    """Every qualified name under which ``Print Assumptions`` may print an allowed axiom, in a fixed order.

    Bare basenames are left out (some are keywords ``Locate`` cannot read): an axiom printed without a
    module name is not trusted.
    """
    return sorted({suffix for name in allowed for suffix in _suffixes(name) if "." in suffix})


_MARKER = "symcert_marker_{0}"


def assumption_commands(theorem: str, allowed: frozenset[str]) -> str:
    """Commands appended to a file: ``Print Assumptions``, then ``Locate`` of every candidate name."""
    candidates = _candidates(allowed)
    lines = [f"Print Assumptions {theorem}."]
    for k, candidate in enumerate(candidates):
        lines += [f"Locate {_MARKER.format(k)}.", f"Locate {candidate}."]
    lines.append(f"Locate {_MARKER.format(len(candidates))}.")
    return "\n".join(lines) + "\n"


def trusted_axioms(stdout: str, printed: tuple[str, ...], allowed: frozenset[str]) -> tuple[str, ...]:
    """The printed axioms that do not resolve, in the file's environment, to an allowed full name."""
    candidates = _candidates(allowed)
    blocks = re.split(r"No object of (?:basename|suffix) symcert_marker_(\d+)\n?", stdout)
    located: dict[str, str] = {}
    # blocks: [before, k0, output after marker k0, k1, ...]; the output after marker k is Locate candidate k
    for index in range(1, len(blocks) - 1, 2):
        k = int(blocks[index])
        if k < len(candidates):
            first = blocks[index + 1].strip().splitlines()[:1]
            match = re.match(r"Constant (\S+)$", first[0]) if first else None
            if match:
                located[candidates[k]] = match.group(1)
    return tuple(name for name in printed if located.get(name) not in allowed)
