r"""Output a lecturer can hand out: every handout and every kind of generated document is compiled
once with real TeX, and the log must report no overfull box wider than 1pt, no float too large for
the page and no undefined reference. The LaTeX itself is checked too: titles that say something, no
refuted claim typeset as a theorem, captions that say what every plotted symbol is, references by
name. Skips without TeX, except when CI is set."""

from __future__ import annotations

import re
import subprocess

import pytest

from symcert import (
    MLP,
    Dataset,
    Loss,
    certify_barrier,
    certify_nonconvexity,
    default_example,
    flip,
    permutation,
    product,
    prove_convexity,
    prove_gradient_identity,
    prove_invariance,
    rescale,
    swap,
)
from symcert.build.tex import compile_pdf, layout_problems, standalone_document, write_tex
from symcert.cli import main
from symcert.handouts import handout_names

HANDOUTS = handout_names()


def _gallery_fragments() -> dict[str, str]:
    """One fragment of every generated kind the handouts do not already show, with its context."""
    example = default_example()
    loss, A = example.loss, example.teacher
    net = MLP((1, 2, 1), "tanh")
    relu = MLP((1, 1, 1), "relu", bias=False)
    relu_loss = Loss(relu, Dataset.teacher(relu, relu.point(W1=[[1]], W2=[[2]]), [[1], [2]]), "mse")
    decayed = Loss(relu, relu_loss.data, "mse", weight_decay="1/10")
    logistic = MLP((2, 1), output_activation="sigmoid")
    bce = Loss(logistic, Dataset([[0, 1], [1, 0], [1, 1], [2, -1]], [[0], [1], [1], [0]]), "bce")
    sigmoid = MLP((2, 2, 1), "sigmoid", output_activation="sigmoid")
    sigmoid_A = sigmoid.point(W1=[[1, -1], [2, 1]], b1=[0, 1], W2=[[3, -2]], b2=[1])
    sigmoid_loss = Loss(sigmoid, Dataset.teacher(sigmoid, sigmoid_A, [[0, 1], [1, 0], [-1, 1]]), "bce")
    barrier = certify_barrier(loss, A, example.element(A), tol=1e-2)
    fragments = {
        "invariance, output, flip": prove_invariance(net, flip(1, 1)).to_latex(),
        "invariance, refuted": prove_invariance(net, rescale(1, 0, "3/2")).to_latex(),
        "invariance, product": prove_invariance(loss, product(flip(1, 0), swap(1, 0, 1))).to_latex(),
        "invariance, group": prove_invariance(net, net.symmetry_group()).to_latex(),
        "invariance, permutation": prove_invariance(MLP((1, 3, 1)), permutation(1, (2, 0, 1))).to_latex(),
        "convexity, logistic with two inputs": prove_convexity(bce).to_latex(),
        "convexity, not proved": prove_convexity(loss).to_latex(),
        "gradient, refuted": prove_gradient_identity(decayed, rescale(1, 0, 2)).to_latex(),
        "barrier certificate": barrier.certificate().to_latex(10),
        "hessian, sigmoid, bce": certify_nonconvexity(
            sigmoid_loss, sigmoid_A, element=swap(1, 0, 1), kind="hessian"
        ).to_latex(10),
    }
    fragments.update(_graph_fragments())
    return fragments


def _graph_fragments() -> dict[str, str]:
    """The structural proof on a layer graph, proved and refused."""
    from symcert.proofs.graph_invariance import prove_graph_invariance
    from symcert.symbolic.graph import (
        Activation,
        BatchNorm,
        Conv,
        Dense,
        Flatten,
        Flip,
        Graph,
        Node,
        Permute,
        derive_symmetries,
    )

    cnn = Graph(
        (1, 6, 6),
        [
            Node("conv1", Conv(3, (3, 3), padding=1)),
            Node("bn1", BatchNorm()),
            Node("relu1", Activation("relu")),
            Node("flat", Flatten()),
            Node("fc", Dense(2)),
        ],
    )
    spec = derive_symmetries(cnn)
    return {
        "graph invariance, proved": prove_graph_invariance(spec, Permute("P_conv1", (2, 0, 1))).to_latex(),
        "graph invariance, not proved": prove_graph_invariance(
            spec, Flip("P_conv1", 1, (-1, 1, 1))
        ).to_latex(),
    }


@pytest.fixture(scope="module")
def compiled(require_tool, tmp_path_factory):
    """Every document compiled once: {name: (tex path, pdf path, log text)}.

    The handouts and the ``prove``/``barrier`` documents are written through the CLI; the gallery
    holds every other renderer's output."""
    require_tool("pdflatex")
    require_tool("latexmk")
    directory = tmp_path_factory.mktemp("tex-quality")
    sources = {}
    for name in HANDOUTS:
        assert main(["handout", name, "-o", str(directory)]) == 0
        sources[name] = directory / f"{name}.tex"
    assert main(["prove", "--kind", "all", "--latex", str(directory / "derivation.tex")]) == 0
    sources["derivation"] = directory / "derivation.tex"
    assert main(["barrier", "--tol", "1e-2", "--latex", str(directory / "barrier.tex")]) == 0
    sources["barrier"] = directory / "barrier.tex"
    body = "\n\n".join(
        r"\section{%s}" % title + "\n" + fragment for title, fragment in _gallery_fragments().items()
    )
    sources["gallery"] = write_tex(directory / "gallery.tex", standalone_document(body, title="Gallery"))
    out = {}
    for name, tex in sources.items():
        log = tex.with_suffix(".texlog")
        pdf = compile_pdf(tex, log_path=log)
        out[name] = (tex, pdf, log.read_text(encoding="latin-1"))
    return out


DOCUMENTS = (*HANDOUTS, "derivation", "barrier", "gallery")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_log_is_clean(compiled, name):
    tex, _, log = compiled[name]
    problems = layout_problems(log)
    lines = tex.read_text(encoding="utf-8").splitlines()
    where = []
    for problem in problems:
        found = re.search(r"lines? (\d+)", problem)
        if found:
            where.append(f"{problem}: {lines[int(found.group(1)) - 1][:160]}")
        else:
            where.append(problem)
    assert not problems, "\n".join(where)


def test_the_log_check_can_fail(compiled, tmp_path):
    # the same checker flags a display that runs off the page
    body = r"\[ %s \]" % " + ".join(f"x_{{{k}}}" for k in range(120))
    tex = write_tex(tmp_path / "wide.tex", standalone_document(body, title="Wide"))
    compile_pdf(tex, log_path=tmp_path / "wide.texlog")
    problems = layout_problems((tmp_path / "wide.texlog").read_text(encoding="latin-1"))
    assert problems and "Overfull \\hbox" in problems[0]


@pytest.mark.parametrize("name", HANDOUTS)
def test_handout_compiles(compiled, name):
    tex, pdf, _ = compiled[name]
    assert tex.exists() and pdf.stat().st_size > 30_000
    assert not tex.with_suffix(".log").exists()  # only kept when TeX failed


def test_a_page_has_content(compiled, require_tool, tmp_path):
    require_tool("pdftoppm")
    _, pdf, _ = compiled["permutation"]
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "p")], check=True
    )
    assert (tmp_path / "p-1.png").stat().st_size > 10_000


def test_no_page_is_mostly_blank(compiled, require_tool, tmp_path):
    """Floats are placed so that no page but the last is mostly empty."""
    require_tool("pdftoppm")
    for name in HANDOUTS:
        _, pdf, _ = compiled[name]
        subprocess.run(["pdftoppm", "-gray", "-r", "20", str(pdf), str(tmp_path / name)], check=True)
        pages = sorted(tmp_path.glob(f"{name}-*.pgm"))
        for page in pages[:-1]:
            extent = _inked_extent(page.read_bytes())
            assert extent > 0.6, f"{name}: page {page.stem} is inked over only {extent:.0%} of its height"


# -- the LaTeX itself ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def texts(compiled):
    return {name: compiled[name][0].read_text(encoding="utf-8") for name in DOCUMENTS}


def _theorems(text: str) -> list[tuple[str, str]]:
    """(title, body) of every theorem environment."""
    return re.findall(r"\\begin\{theorem\}(?:\[(.*?)\])?(.*?)\\end\{theorem\}", text, re.S)


@pytest.mark.parametrize("name", DOCUMENTS)
def test_theorem_titles_say_something(texts, name):
    for title, _ in _theorems(texts[name]):
        assert title and title.strip() not in ("Theorem", "Convexity", "Gradient identity"), title


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_refuted_claim_in_a_theorem(texts, name):
    for title, body in _theorems(texts[name]):
        for word in ("refuted", "Counterexample", "Open claim", "undecided", "not a symmetry"):
            assert word not in title and word not in body, (title, body[:200])


def test_refuted_invariance_is_a_remark():
    net = MLP((1, 2, 1), "tanh")
    text = prove_invariance(net, rescale(1, 0, 2)).to_latex()
    assert r"\begin{theorem}" not in text and r"\begin{remark}" in text
    assert "not" in text.split(r"\end{remark}")[0]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_plain_text_pasted_into_latex(texts, name):
    text = texts[name]
    for raw in ("theta", "sigma (", "swap:1:0,1", "phi(t0", "g(theta)", "E_{0}", "L(g(theta))"):
        # the CLI string of an element may be given once, in \texttt
        hits = [m.start() for m in re.finditer(re.escape(raw), text)]
        hits = [k for k in hits if not text[max(0, k - 40) : k].rstrip().endswith(r"\texttt{")]
        hits = [k for k in hits if text[max(0, k - 1)] != "\\"]
        assert not hits, (raw, text[hits[0] - 80 : hits[0] + 80] if hits else "")


@pytest.mark.parametrize("name", DOCUMENTS)
def test_sentences_start_with_a_capital(texts, name):
    for match in re.finditer(r"(?:\\item|\\textbf\{[^}]*\.\}|\.\s)\s*([a-z][a-z]+)\b", texts[name]):
        word = match.group(1)
        assert word in ("e", "i", "t"), texts[name][match.start() - 60 : match.end() + 40]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_chained_relations(texts, name):
    assert not re.search(r"[<>]\s*0\s*=\s*0", texts[name])


#: A symbol plotted in a figure, and words one of which its caption must use to say what it is.
_EXPLAINED = {
    "A": ("point", "network", "minim"),
    "B": ("point", "network", "minim"),
    "M": ("midpoint",),
    "e": ("direction",),
    r"\varphi": (r"\varphi(t) =",),
    "s": ("coordinates", "$s = "),
}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_captions_explain_their_symbols(texts, name):
    for caption in _captions(texts[name]):
        math = " ".join(re.findall(r"\$([^$]*)\$", caption))
        for symbol, words in _EXPLAINED.items():
            if re.search(r"(?<![\\a-zA-Z])" + re.escape(symbol) + r"(?![a-zA-Z])", math):
                assert any(word in caption for word in words), (symbol, caption)


def _captions(text: str) -> list[str]:
    out = []
    for start in (m.end() for m in re.finditer(r"\\caption\{", text)):
        depth, k = 1, start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
        out.append(text[start : k - 1])
    return out


def test_handouts_cite_by_name(texts):
    seed = texts["seed-argument"]
    assert "the seed" not in seed.lower() and "seed's" not in seed.lower()
    assert "Explanation of why Neural Networks are non convex" in seed
    assert r"\url{https://datascience.stackexchange.com/questions/87961" in seed
    assert "Data Science Stack Exchange answer" not in seed


@pytest.mark.parametrize("name", DOCUMENTS)
def test_no_repeated_boilerplate(texts, name):
    assert texts[name].count("single-layer (no hidden units) network (2 parameters") <= 1
    assert texts[name].count("(7 parameters)") <= 2


@pytest.mark.parametrize("name", ("permutation", "sign-flip"))
def test_one_notation_for_group_elements(texts, name):
    text = texts[name]
    assert "swap(1, 0, 1)" not in text and "flip(1, 0)" not in text
    assert len(re.findall(r"\\texttt\{(swap|flip):", text)) <= 1


def test_handout_list_is_plain_text(capsys):
    assert main(["handout", "list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in HANDOUTS)
    assert "$" not in out and "\\" not in out
    assert "n! 2^n" in out


def _inked_extent(data: bytes) -> float:
    """The height from the first to the last inked pixel row, as a fraction of the page's height."""
    fields, position = [], 0
    while len(fields) < 4:
        while data[position : position + 1].isspace():
            position += 1
        if data[position : position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        end = position
        while not data[end : end + 1].isspace():
            end += 1
        fields.append(data[position:end])
        position = end
    width, height = int(fields[1]), int(fields[2])
    pixels = data[position + 1 :]
    rows = [pixels[r * width : (r + 1) * width] for r in range(height)]
    inked = [r for r, row in enumerate(rows) if min(row) < 200]
    return (inked[-1] - inked[0] + 1) / height if inked else 0.0


@pytest.mark.parametrize("decay", ["0", "1/2"])
def test_the_printed_hessian_is_the_hessian(decay):
    # the per-point Gram sum printed for linear regression ends in the exact Hessian (weight decay included)
    import sympy

    loss = Loss(MLP((1, 1)), Dataset([[0], [1], [2]], [[1], [2], [2]]), "mse", weight_decay=decay)
    text = prove_convexity(loss).to_latex()
    hessian = sympy.hessian(loss.expr, list(loss.mlp.symbols))
    assert r"= %s. \]" % sympy.latex(hessian, mat_delim="(") in text
    assert "E_{0}" not in text and r"J_{1} &= " in text  # every symbol defined, per data point


def test_point_labels_stay_inside_the_frame():
    # A and B sit at the bottom of the plotted range (global minima) with their labels below them: the
    # y range is enlarged at both ends so that the labels do not run into the frame and its tick labels
    from symcert.printing.figures.loss import segment_figure

    example = default_example()
    A = example.teacher
    text = segment_figure(example.loss, A, example.element(A))
    assert r"\node[below right] at (axis cs:0," in text
    assert "enlarge y limits=0.15" in text and "enlarge y limits={upper" not in text


# -- typesetting slips a reader sees ----------------------------------------------------------------


def leading_punctuation(lines: list[str]) -> list[str]:
    """The lines (of a TeX source or of a PDF's text) where a sentence goes on after punctuation that
    starts the line: ``. Expanding``, ``, and then`` (a display ended by ``\\].`` does that). Lines of
    typeset mathematics, which pdftotext breaks at commas (``, b(1) = 12``), are not sentences.

    >>> leading_punctuation([". Expanding every argument", "fine.", "  , and then", ", b(1) = 1"])
    ['. Expanding every argument', '  , and then']
    """
    return [line for line in lines if re.match(r"\s*[.,;:!?]\s*[A-Za-z]{3,}\b", line)]


def display_slips(text: str) -> list[str]:
    r"""Unbalanced ``\[ ... \]`` and displays with text glued to their end (``\].`` or ``\]with``)."""
    problems = []
    if text.count(r"\[") != text.count(r"\]"):
        problems.append(r"%d \[ but %d \]" % (text.count(r"\["), text.count(r"\]")))
    problems += [text[max(0, m.start() - 60) : m.end() + 20] for m in re.finditer(r"\\\][^\s}\\]", text)]
    return problems


def long_fractions(text: str, digits: int = 20) -> list[str]:
    r"""Raw fractions (``p/q``, ``\frac{p}{q}``) with more than ``digits`` digits in all."""
    found = re.findall(r"\d+/\d+|\\[dt]?frac\{-?\d+\}\{\d+\}", text)
    return [f for f in found if sum(c.isdigit() for c in f) > digits]


def test_the_slip_checks_can_fail():
    assert leading_punctuation(["\\].", ". Expanding every argument"]) == [". Expanding every argument"]
    assert not leading_punctuation([",", ", b(1) = 12 1 , W (2) = 1", ". 5"])
    assert display_slips(r"a \[ x = 1 \]. Expanding") and display_slips(r"\[ x \]with") == [r"\[ x \]with"]
    assert display_slips(r"\[ x") and not display_slips("\\[ x = 1. \\]\nExpanding")
    assert long_fractions("+ 7378697629483821/14757395258967641292800 * w") and not long_fractions("3/4")
    assert long_fractions(r"\frac{7378697629483821}{14757395258967641292800}")


@pytest.mark.parametrize("name", HANDOUTS)
def test_no_line_starts_with_punctuation(compiled, require_tool, name):
    pdftotext = require_tool("pdftotext")
    tex, pdf, _ = compiled[name]
    assert leading_punctuation(tex.read_text(encoding="utf-8").splitlines()) == []
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert leading_punctuation(text.splitlines()) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_displays_are_balanced_and_end_cleanly(texts, name):
    assert display_slips(texts[name]) == []


@pytest.mark.parametrize("name", HANDOUTS)
def test_no_raw_fraction_longer_than_20_digits(texts, name):
    assert long_fractions(texts[name]) == []


@pytest.mark.parametrize("name", HANDOUTS)
def test_the_canonical_form_is_printed_once(texts, name):
    assert texts[name].count("C &= ") <= 1


def test_the_permutation_handout_is_short(compiled, require_tool):
    pdfinfo = require_tool("pdfinfo")
    _, pdf, _ = compiled["permutation"]
    info = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) <= 6


@pytest.mark.parametrize("name", HANDOUTS)
def test_one_noun_one_number(texts, name):
    """No 'network (...) networks': the plural is written once."""
    assert not re.search(r"\bnetwork (\([^)]*\) )?networks\b", texts[name]), name
