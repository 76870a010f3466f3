"""The digits example: a small MLP trained by scikit-learn on its bundled handwritten digits.

``load_digits`` ships inside scikit-learn (1,797 images of 8x8 pixels, 10 classes; no
download). Pixels are scaled by ``1/16`` (exactly) into ``[0, 1]``. A seeded
``MLPClassifier`` (L-BFGS) is trained, loaded exactly with its training loss
(scikit-learn's convention, :mod:`symcert.models.sklearn`), and the best swap of two
hidden units is certified (:func:`symcert.models.witness.best_witness`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from symcert.errors import SpecificationError
from symcert.models.sklearn import LoadedModel, from_sklearn
from symcert.models.witness import WitnessChoice, best_witness

__all__ = ["DigitsRun", "digits_example", "require_sklearn", "INSTALL_SKLEARN"]

INSTALL_SKLEARN = "pip install -e '.[sklearn]' (or pip install scikit-learn)"


def require_sklearn() -> None:
    """Raise a one-sentence error saying how to install scikit-learn when it is missing."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise SpecificationError(
            f"this needs scikit-learn, which is not installed; run {INSTALL_SKLEARN}"
        ) from None


@dataclass(frozen=True)
class DigitsRun:
    """The trained model, the witness choice and scikit-learn's reported loss."""

    model: LoadedModel
    choice: WitnessChoice
    sklearn_loss: float
    n_samples: int


def digits_example(
    hidden: int = 16,
    seed: int = 0,
    max_iter: int = 200,
    n_samples: int | None = None,
    activation: str = "relu",
    dps: int = 50,
    progress=None,
    screening=None,
    digits: int | None = None,
) -> DigitsRun:
    """Train on the digits (the first ``n_samples``, default all 1,797) and certify non-convexity.

    ``progress`` gets a line per step, ``screening`` the screen's counts, ``digits`` asks for tight
    values (see :func:`~symcert.models.witness.best_witness`)."""
    require_sklearn()
    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    say = progress or (lambda _text: None)
    X, y = load_digits(return_X_y=True)
    if n_samples is not None:
        X, y = X[:n_samples], y[:n_samples]
    X = X / 16
    estimator = MLPClassifier(
        (hidden,), activation=activation, solver="lbfgs", max_iter=max_iter, random_state=seed, alpha=1e-4
    )
    say(f"training a 64-{hidden}-10 {activation} MLP on {len(X)} digits with scikit-learn (L-BFGS) ...")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.fit(X, y)
    say("loading the trained weights exactly ...")
    model = from_sklearn(estimator, X, y)
    assert model.loss is not None  # from_sklearn with data builds the loss
    choice = best_witness(model.loss, model.point, dps=dps, progress=say, screening=screening, digits=digits)
    return DigitsRun(model, choice, float(estimator.loss_), len(X))
