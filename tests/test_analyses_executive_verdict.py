"""The verdict on a claimed uplift as a rule table: every case of the one rule
(smlib.causal.claims.check_claim), for a claim stated as a ceiling ("up to 20 %") and as a typical
value, with its code and its words in English and Spanish (smlib.analyses.uplift.verdict, which
reports 02 and 03 both show)."""

from __future__ import annotations

import pytest

from smlib.analyses.executive_text import headline_uplift
from smlib.analyses.uplift import verdict
from smlib.causal.claims import CLAIM_CODES, CLAIM_FORMS, PRETREND_ALPHA, check_claim

FAILED = 0.01  # a pre-trend p-value below PRETREND_ALPHA
PASSED = 0.40

# case -> (estimate, ci_low, ci_high, pre-trend p-value); the claim is 20 %
CASES: dict[str, tuple[float, float, float, float | None]] = {
    "below": (0.088, 0.067, 0.110, PASSED),           # the default company: 8.8 % (6.7-11.0 %)
    "below_maybe_zero": (0.05, -0.02, 0.12, None),    # below the claim, 0 inside
    "within": (0.19, 0.12, 0.26, PASSED),             # contains the claim, excludes 0
    "above": (0.30, 0.25, 0.35, None),                # wholly above the claim
    "negative": (-0.10, -0.15, -0.05, PASSED),        # wholly below zero
    "negative_wide": (-0.20, -0.50, -0.01, None),     # below zero, wider than the claim
    "span": (0.10, -0.05, 0.30, None),                # spans 0 and the claim
    "wide": (0.10, 0.01, 0.40, None),                 # excludes 0 but wider than the claim
    "pretrend": (0.088, 0.067, 0.110, FAILED),        # a clear result, but pre-trends differ
    "pretrend_negative": (-0.10, -0.30, -0.01, FAILED),  # below zero AND failed pre-trends
}

# (case, form) -> (code, reason, English words, Spanish words, English short, Spanish short)
TABLE: dict[tuple[str, str], tuple[str, str, str, str, str, str]] = {
    ("below", "up_to"): (
        "overstated", "below",
        "For this company the likely uplift is 6.7 % to 11.0 % (8.8 %, 95 % interval): a real "
        "gain and within “up to 20.0 %”, but the 20.0 % headline overstates what this company "
        "can expect.",
        "Para esta empresa el aumento probable es de 6,7 % a 11,0 % (8,8 %, intervalo del 95 %): "
        "una ganancia real y dentro de «hasta un 20,0 %», pero la cifra del 20,0 % exagera lo que "
        "esta empresa puede esperar.",
        "a real gain; “up to 20.0 %” overstates it for this company",
        "una ganancia real; «hasta un 20,0 %» la exagera para esta empresa"),
    ("below", "typical"): (
        "contradicts_smaller", "below",
        "Contradicts the claim: the effect is clearly smaller than 20.0 %. The uplift is 8.8 % "
        "(95 % interval 6.7 % to 11.0 %); integration added revenue, but less than claimed.",
        "Contradice la afirmación: el efecto es claramente menor que un 20,0 %. El aumento es del "
        "8,8 % (intervalo del 95 % de 6,7 % a 11,0 %); la integración sumó ingresos, pero menos de "
        "lo afirmado.",
        "clearly below the claimed 20.0 %", "claramente por debajo del 20,0 % afirmado"),
    ("below_maybe_zero", "up_to"): (
        "overstated", "below_maybe_zero",
        "For this company the uplift is at most 12.0 % (5.0 %; 95 % interval -2.0 % to 12.0 %) "
        "and the data cannot rule out no gain at all: the 20.0 % headline overstates what this "
        "company can expect.",
        "Para esta empresa el aumento es como mucho del 12,0 % (5,0 %; intervalo del 95 % de "
        "-2,0 % a 12,0 %) y los datos no descartan que no haya ganancia: la cifra del 20,0 % "
        "exagera lo que esta empresa puede esperar.",
        "at most 12.0 %, maybe none; “up to 20.0 %” overstates it",
        "como mucho un 12,0 %, quizá nada; «hasta un 20,0 %» la exagera"),
    ("below_maybe_zero", "typical"): (
        "contradicts_smaller", "below_maybe_zero",
        "Contradicts the claim: the effect is clearly smaller than 20.0 %. The uplift is 5.0 % "
        "(95 % interval -2.0 % to 12.0 %); the data cannot even rule out no effect at all.",
        "Contradice la afirmación: el efecto es claramente menor que un 20,0 %. El aumento es del "
        "5,0 % (intervalo del 95 % de -2,0 % a 12,0 %); los datos ni siquiera descartan que no "
        "haya efecto.",
        "below the claimed 20.0 %, maybe no effect",
        "por debajo del 20,0 % afirmado, quizá sin efecto"),
    ("within", "up_to"): (
        "consistent", "within",
        "Consistent with the claim: the uplift is 19.0 % (95 % interval 12.0 % to 26.0 %), "
        "clearly above zero and reaching 20.0 %.",
        "Compatible con la afirmación: el aumento es del 19,0 % (intervalo del 95 % de 12,0 % a "
        "26,0 %), claramente mayor que cero y alcanza un 20,0 %.",
        "consistent with “up to 20.0 %”", "compatible con «hasta un 20,0 %»"),
    ("within", "typical"): (
        "supports", "within",
        "Supports the claim: the uplift is 19.0 % (95 % interval 12.0 % to 26.0 %), clearly "
        "above zero and consistent with 20.0 %.",
        "Respalda la afirmación: el aumento es del 19,0 % (intervalo del 95 % de 12,0 % a "
        "26,0 %), claramente mayor que cero y compatible con un 20,0 %.",
        "consistent with the claimed 20.0 %", "compatible con el 20,0 % afirmado"),
    ("above", "up_to"): (
        "exceeded", "above",
        "Beyond the claim: the uplift is 30.0 % (95 % interval 25.0 % to 35.0 %), more than the "
        "20.0 % the claim gives as a ceiling.",
        "Más allá de la afirmación: el aumento es del 30,0 % (intervalo del 95 % de 25,0 % a "
        "35,0 %), más que el 20,0 % que la afirmación da como techo.",
        "more than the claimed ceiling of 20.0 %", "más que el techo afirmado del 20,0 %"),
    ("above", "typical"): (
        "contradicts_larger", "above",
        "Contradicts the claim from above: the uplift is 30.0 % (95 % interval 25.0 % to "
        "35.0 %), clearly larger than 20.0 %.",
        "Contradice la afirmación por arriba: el aumento es del 30,0 % (intervalo del 95 % de "
        "25,0 % a 35,0 %), claramente mayor que un 20,0 %.",
        "clearly above the claimed 20.0 %", "claramente por encima del 20,0 % afirmado"),
}
# the cases shared by both forms: same code, reason and words whatever the form
SHARED: dict[str, tuple[str, str, str, str, str, str]] = {
    "negative": (
        "negative", "negative",
        "Contradicts the claim: integration lowered revenue. The change is -10.0 % (95 % "
        "interval -15.0 % to -5.0 %), wholly below zero.",
        "Contradice la afirmación: la integración redujo los ingresos. El cambio es del -10,0 % "
        "(intervalo del 95 % de -15,0 % a -5,0 %), entero por debajo de cero.",
        "revenue fell: contradicts the claimed 20.0 %",
        "los ingresos bajaron: contradice el 20,0 % afirmado"),
    "negative_wide": (
        "negative", "negative",
        "Contradicts the claim: integration lowered revenue. The change is -20.0 % (95 % "
        "interval -50.0 % to -1.0 %), wholly below zero.",
        "Contradice la afirmación: la integración redujo los ingresos. El cambio es del -20,0 % "
        "(intervalo del 95 % de -50,0 % a -1,0 %), entero por debajo de cero.",
        "revenue fell: contradicts the claimed 20.0 %",
        "los ingresos bajaron: contradice el 20,0 % afirmado"),
    "span": (
        "cannot_tell", "span",
        "The data cannot tell: the uplift is 10.0 %, but the 95 % interval (-5.0 % to 30.0 %) "
        "includes both no effect and 20.0 %.",
        "Los datos no permiten saberlo: el aumento es del 10,0 %, pero el intervalo del 95 % "
        "(-5,0 % a 30,0 %) incluye tanto la ausencia de efecto como un 20,0 %.",
        "too uncertain to judge the claimed 20.0 %",
        "demasiado incierto para juzgar el 20,0 % afirmado"),
    "wide": (
        "cannot_tell", "wide",
        "The data cannot tell: the uplift is 10.0 %, but the 95 % interval (1.0 % to 40.0 %) is "
        "wider than 20.0 percentage points, too wide to judge a claim of 20.0 %.",
        "Los datos no permiten saberlo: el aumento es del 10,0 %, pero el intervalo del 95 % "
        "(1,0 % a 40,0 %) es más ancho que 20,0 puntos porcentuales, demasiado para juzgar una "
        "afirmación de un 20,0 %.",
        "too uncertain to judge the claimed 20.0 %",
        "demasiado incierto para juzgar el 20,0 % afirmado"),
    "pretrend": (
        "no_verdict", "pretrend",
        "No verdict: before integrating, the units that integrated were already drifting apart "
        "from the others (pre-trend test p = 0.010), so the comparison cannot separate the effect "
        "of integration from that drift. The estimate, 8.8 % (95 % interval 6.7 % to 11.0 %), is "
        "evidence neither for nor against 20.0 %.",
        "Sin veredicto: antes de integrarse, las unidades que se integraron ya se estaban "
        "separando de las demás (prueba de tendencias previas p = 0,010), así que la comparación "
        "no puede separar el efecto de la integración de esa deriva. La estimación, del 8,8 % "
        "(intervalo del 95 % de 6,7 % a 11,0 %), no es prueba ni a favor ni en contra de un "
        "20,0 %.",
        "no verdict: the units already drifted apart before integrating",
        "sin veredicto: las unidades ya se separaban antes de integrarse"),
    "pretrend_negative": (
        "no_verdict", "pretrend",
        "No verdict: before integrating, the units that integrated were already drifting apart "
        "from the others (pre-trend test p = 0.010), so the comparison cannot separate the effect "
        "of integration from that drift. The estimate, -10.0 % (95 % interval -30.0 % to "
        "-1.0 %), is evidence neither for nor against 20.0 %.",
        "Sin veredicto: antes de integrarse, las unidades que se integraron ya se estaban "
        "separando de las demás (prueba de tendencias previas p = 0,010), así que la comparación "
        "no puede separar el efecto de la integración de esa deriva. La estimación, del -10,0 % "
        "(intervalo del 95 % de -30,0 % a -1,0 %), no es prueba ni a favor ni en contra de un "
        "20,0 %.",
        "no verdict: the units already drifted apart before integrating",
        "sin veredicto: las unidades ya se separaban antes de integrarse"),
}
ROWS = [(case, form, *TABLE[(case, form)]) for case, form in TABLE] + [
    (case, form, *row) for case, row in SHARED.items() for form in CLAIM_FORMS]


def test_the_table_covers_every_case_and_code_of_the_rule():
    assert set(CASES) == {case for case, *_ in ROWS}
    assert {(form, reason) for _, form, _, reason, *_ in ROWS} == set(CLAIM_CODES)
    assert {code for _, _, code, *_ in ROWS} == set(CLAIM_CODES.values())


@pytest.mark.parametrize("case, form, code, reason, en, es, en_short, es_short", ROWS)
def test_verdict_rule_table(case, form, code, reason, en, es, en_short, es_short):
    est, lo, hi, p = CASES[case]
    check = check_claim(est, lo, hi, claim=0.20, claim_form=form, pretrend_p=p)
    assert (check.code, check.reason) == (code, reason)
    for lang, words, short in (("en", en, en_short), ("es", es, es_short)):
        v = verdict(est, lo, hi, claim=0.20, language=lang, claim_form=form, pretrend_p=p)
        assert (v.code, v.reason, v.claim_form) == (code, reason, form)
        assert v.text == words
        assert v.short == short
        # report 03's sentence is the claim as stated, then this very verdict
        assert headline_uplift(est, lo, hi, language=lang, claim_form=form,
                               pretrend_p=p).endswith(" " + words)


def test_a_ceiling_is_never_contradicted_by_a_smaller_positive_effect():
    """'Up to 20 %' is not contradicted by 8.8 %: the words say the figure overstates."""
    for lo, hi in ((0.067, 0.110), (0.01, 0.19), (-0.02, 0.12)):
        v = verdict((lo + hi) / 2, lo, hi)
        assert v.code == "overstated" and "overstates" in v.text and "ontradict" not in v.text


def test_a_failed_pretrend_check_withholds_every_verdict():
    """Whatever the interval, a failed pre-trend check means no verdict (consistently)."""
    for case, (est, lo, hi, _) in CASES.items():
        for form in CLAIM_FORMS:
            assert check_claim(est, lo, hi, claim_form=form,
                               pretrend_p=PRETREND_ALPHA / 2).code == "no_verdict", case
            if case not in ("pretrend", "pretrend_negative"):
                assert check_claim(est, lo, hi, claim_form=form,
                                   pretrend_p=PRETREND_ALPHA).code != "no_verdict", case


@pytest.mark.parametrize("kwargs, match", [
    (dict(claim_form="at_least"), "claim_form must be one of"),
    (dict(pretrend_p=1.5), "pretrend_p must be a p-value"),
    (dict(max_width=0.0), "max_width must be > 0"),
    (dict(claim=-0.1), "claim must be > 0"),
])
def test_check_claim_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        check_claim(0.08, 0.05, 0.11, **kwargs)
