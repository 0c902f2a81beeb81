"""Plain-language headlines for leadership, in English and Spanish.

Each ``headline_*`` function turns a result of :mod:`smlib.metrics` or :mod:`smlib.causal` into one
or two short sentences: numbers rounded sensibly (``$1.2M``, ``23%``, ``4.1 months``), units named,
and the interval shown wherever there is one. ``language`` is ``"en"`` (default) or ``"es"`` — the
article behind the workbook is Spanish, and so may its readers be. :data:`GLOSSARY` explains every
technical word in one line, in both languages.

Conventions: English uses ``$1.2M`` and ``23 %``; Spanish uses a decimal comma, ``1,2 M US$``,
``8,4 mil US$`` and ``23 %`` (a space before the percent sign, as the RAE recommends and as
:func:`smlib.causal.claims` writes it in both languages). Percentages
get one decimal below 10 % and none above; money two significant figures from a thousand up, in
the report's currency (:mod:`smlib.presentation.settings`: ``R$1.2M``, ``1,2 M BRL``, ``€850k``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from smlib.presentation import settings

LANGUAGES: tuple[str, ...] = settings.LANGUAGES

_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}

#: Display names of attribution models (keys as in :data:`smlib.attribution.MODELS`).
MODEL_LABELS: dict[str, dict[str, str]] = {
    "first_touch": {"en": "first-touch", "es": "primer contacto"},
    "last_touch": {"en": "last-touch", "es": "último contacto"},
    "last_non_direct": {"en": "last non-direct touch", "es": "último contacto no directo"},
    "linear": {"en": "linear", "es": "lineal"},
    "time_decay": {"en": "time-decay", "es": "decaimiento temporal"},
    "position_based": {"en": "U-shaped", "es": "en U"},
    "w_shaped": {"en": "W-shaped", "es": "en W"},
    "full_path": {"en": "full-path", "es": "de recorrido completo"},
    "markov": {"en": "Markov", "es": "de Markov"},
    "shapley": {"en": "Shapley", "es": "de Shapley"},
    "logistic": {"en": "logistic (data-driven)", "es": "logístico (basado en datos)"},
    "incremental": {"en": "incremental (counterfactual)", "es": "incremental (contrafactual)"},
}

#: Display names of the simulator's channels; other channels show with "_" as spaces.
CHANNEL_LABELS: dict[str, dict[str, str]] = {
    "paid_search": {"en": "paid search", "es": "búsqueda de pago"},
    "paid_social": {"en": "paid social", "es": "redes sociales de pago"},
    "email": {"en": "email", "es": "email"},
    "webinar": {"en": "webinars", "es": "webinars"},
    "events": {"en": "events", "es": "eventos"},
    "content_seo": {"en": "content/SEO", "es": "contenidos/SEO"},
    "direct": {"en": "direct", "es": "directo"},
    "sdr_call": {"en": "SDR calls", "es": "llamadas SDR"},
    "sdr_email": {"en": "SDR emails", "es": "emails SDR"},
    "ae_meeting": {"en": "AE meetings", "es": "reuniones con AE"},
    "demo": {"en": "demos", "es": "demos"},
    "proposal": {"en": "proposals", "es": "propuestas"},
    "sales_people": {"en": "sales people", "es": "personal de ventas"},
    "marketing_overhead": {"en": "marketing overhead", "es": "gastos generales de marketing"},
}

_TEAMS = {"marketing": {"en": "marketing", "es": "marketing"},
          "sales": {"en": "sales", "es": "ventas"},
          "shared": {"en": "shared", "es": "compartido"}}

#: One-line explanations of every technical word the reports use: term → language → (name, text).
GLOSSARY: dict[str, dict[str, tuple[str, str]]] = {
    "attribution_model": {
        "en": ("Attribution model", "a rule that splits the credit for a sale among the marketing "
               "and sales contacts that preceded it."),
        "es": ("Modelo de atribución", "regla que reparte el mérito de una venta entre los "
               "contactos de marketing y ventas que la precedieron.")},
    "first_touch": {
        "en": ("First-touch model", "gives all the credit to the first contact of the journey."),
        "es": ("Modelo de primer contacto", "da todo el mérito al primer contacto del recorrido.")},
    "last_touch": {
        "en": ("Last-touch model", "gives all the credit to the last contact before the sale."),
        "es": ("Modelo de último contacto", "da todo el mérito al último contacto antes de la venta.")},
    "last_non_direct": {
        "en": ("Last non-direct model", "gives all the credit to the last contact that was not a "
               "direct visit."),
        "es": ("Modelo de último contacto no directo", "da todo el mérito al último contacto que "
               "no fue una visita directa.")},
    "linear": {
        "en": ("Linear model", "splits the credit equally among all contacts of the journey."),
        "es": ("Modelo lineal", "reparte el mérito a partes iguales entre todos los contactos del "
               "recorrido.")},
    "time_decay": {
        "en": ("Time-decay model", "gives more credit to contacts closer to the sale (half the "
               "weight for every 7 days earlier)."),
        "es": ("Modelo de decaimiento temporal", "da más mérito a los contactos cercanos a la venta "
               "(la mitad del peso por cada 7 días antes).")},
    "position_based": {
        "en": ("Position-based (U-shaped) model", "40 % of the credit to the first contact, 40 % "
               "to the last, 20 % shared by the ones in between."),
        "es": ("Modelo por posición (en U)", "40 % del mérito al primer contacto, 40 % al último y "
               "20 % repartido entre los intermedios.")},
    "w_shaped": {
        "en": ("W-shaped model", "30 % each to the first contact, the one that created the lead and "
               "the one that opened the opportunity; 10 % to the rest."),
        "es": ("Modelo en W", "30 % al primer contacto, al que creó el lead y al que abrió la "
               "oportunidad; 10 % al resto.")},
    "full_path": {
        "en": ("Full-path model", "22.5 % each to the first contact, lead creation, opportunity "
               "creation and the closing contact; 10 % to the rest."),
        "es": ("Modelo de recorrido completo", "22,5 % al primer contacto, a la creación del lead, "
               "a la de la oportunidad y al contacto de cierre; 10 % al resto.")},
    "logistic": {
        "en": ("Logistic model", "a regression of buying on which channels a journey saw, using "
               "journeys that did not buy too."),
        "es": ("Modelo logístico", "una regresión de la compra sobre los canales que vio cada "
               "recorrido, usando también los recorridos sin compra.")},
    "markov": {
        "en": ("Markov model", "credits each channel with the share of sales that would be lost "
               "if that channel disappeared from the journeys."),
        "es": ("Modelo de Markov", "asigna a cada canal la parte de las ventas que se perdería si "
               "ese canal desapareciera de los recorridos.")},
    "shapley": {
        "en": ("Shapley model", "splits the credit like a fair team bonus: each channel gets its "
               "average extra contribution over all the groups of channels it could join."),
        "es": ("Modelo de Shapley", "reparte el mérito como un bonus de equipo justo: cada canal "
               "recibe su aportación media en todos los grupos de canales a los que podría unirse.")},
    "incremental": {
        "en": ("Incremental model", "a statistical model of who buys, used to ask how many sales "
               "would be lost without each channel."),
        "es": ("Modelo incremental", "un modelo estadístico de quién compra, con el que se "
               "pregunta cuántas ventas se perderían sin cada canal.")},
    "journey": {
        "en": ("Journey", "the ordered list of contacts (ads, emails, calls, demos…) an account had "
               "before buying or dropping out."),
        "es": ("Recorrido", "la lista ordenada de contactos (anuncios, emails, llamadas, demos…) "
               "que tuvo una cuenta antes de comprar o abandonar.")},
    "revenue": {
        "en": ("Won revenue", "the money booked on deals that were signed."),
        "es": ("Ingresos ganados", "el dinero contratado en las operaciones firmadas.")},
    "gross_profit": {
        "en": ("Gross profit", "revenue minus the direct cost of delivering what was sold."),
        "es": ("Margen bruto", "ingresos menos el coste directo de entregar lo vendido.")},
    "cac": {
        "en": ("CAC (customer acquisition cost)", "what it costs to win one new customer."),
        "es": ("CAC (coste de adquisición de cliente)", "lo que cuesta ganar un cliente nuevo.")},
    "blended_cac": {
        "en": ("Blended CAC", "all marketing and sales costs, salaries included, divided by the "
               "number of new customers."),
        "es": ("CAC total", "todos los costes de marketing y ventas, salarios incluidos, "
               "divididos entre el número de clientes nuevos.")},
    "paid_cac": {
        "en": ("Paid CAC", "paid advertising spend divided by the customers credited to paid "
               "advertising."),
        "es": ("CAC de pago", "el gasto en publicidad de pago dividido entre los clientes "
               "atribuidos a esa publicidad.")},
    "roi": {
        "en": ("ROI (return on investment)", "gross profit earned minus the cost, as a percentage "
               "of the cost; 0 % means the money only came back."),
        "es": ("ROI (retorno de la inversión)", "margen bruto obtenido menos el coste, en "
               "porcentaje del coste; 0 % significa que solo se recuperó el dinero.")},
    "roas": {
        "en": ("ROAS (return on ad spend)", "revenue per dollar spent, before any other cost."),
        "es": ("ROAS (retorno del gasto publicitario)", "ingresos por cada dólar gastado, antes "
               "de otros costes.")},
    "ltv": {
        "en": ("LTV (lifetime value)", "the gross profit a customer brings over the whole time "
               "it stays."),
        "es": ("LTV (valor de vida del cliente)", "el margen bruto que aporta un cliente durante "
               "todo el tiempo que se queda.")},
    "ltv_to_cac": {
        "en": ("LTV:CAC", "how many times a customer's lifetime value covers what it cost to win; "
               "3 or more is the usual target."),
        "es": ("LTV:CAC", "cuántas veces cubre el valor de vida de un cliente lo que costó "
               "ganarlo; el objetivo habitual es 3 o más.")},
    "payback": {
        "en": ("CAC payback", "months of a customer's gross profit needed to recover what it cost "
               "to win; under 12 is the usual target."),
        "es": ("Recuperación del CAC", "meses de margen bruto de un cliente necesarios para "
               "recuperar lo que costó ganarlo; el objetivo habitual es menos de 12.")},
    "churn": {
        "en": ("Churn", "the share of customers who leave each month."),
        "es": ("Tasa de abandono", "la parte de los clientes que se marcha cada mes.")},
    "arpa": {
        "en": ("ARPA", "average revenue per account per month."),
        "es": ("ARPA", "ingreso medio por cuenta y mes.")},
    "lead": {
        "en": ("Lead", "a person or company that showed interest or was contacted."),
        "es": ("Lead", "una persona o empresa que mostró interés o fue contactada.")},
    "mql": {
        "en": ("MQL", "a lead marketing judges ready to pass to sales."),
        "es": ("MQL", "un lead que marketing considera listo para pasar a ventas.")},
    "sql": {
        "en": ("SQL", "a lead sales has accepted and confirmed as a real buying need."),
        "es": ("SQL", "un lead que ventas ha aceptado y confirmado como necesidad real de compra.")},
    "opportunity": {
        "en": ("Opportunity", "a deal in the CRM with an amount and an expected close date."),
        "es": ("Oportunidad", "una operación en el CRM con importe y fecha prevista de cierre.")},
    "conversion_rate": {
        "en": ("Conversion rate", "the share of leads at one stage of the funnel that reach the "
               "next."),
        "es": ("Tasa de conversión", "la parte de los leads de una etapa del embudo que llega a "
               "la siguiente.")},
    "win_rate": {
        "en": ("Win rate", "deals won out of deals closed (won or lost)."),
        "es": ("Tasa de cierre", "operaciones ganadas sobre operaciones cerradas (ganadas o "
               "perdidas).")},
    "sales_cycle": {
        "en": ("Sales cycle", "days from opening an opportunity to signing it."),
        "es": ("Ciclo de venta", "días desde que se abre una oportunidad hasta que se firma.")},
    "pipeline_velocity": {
        "en": ("Pipeline velocity", "revenue the pipeline turns into per day: opportunities × "
               "average deal × win rate ÷ cycle days."),
        "es": ("Velocidad del pipeline", "ingresos que genera el pipeline por día: oportunidades "
               "× operación media × tasa de cierre ÷ días de ciclo.")},
    "interval": {
        "en": ("95 % interval", "the range of values the data are compatible with, built to "
               "include the figure being measured in 95 of 100 repetitions; a wide range means "
               "we are unsure."),
        "es": ("Intervalo del 95 %", "el rango de valores compatible con los datos, construido "
               "para incluir la cifra que se mide en 95 de cada 100 repeticiones; un rango "
               "amplio significa que no estamos seguros.")},
    "uplift": {
        "en": ("Uplift", "the extra revenue caused by integrating marketing and sales, as a "
               "percentage of what revenue would have been without it."),
        "es": ("Incremento", "los ingresos extra causados por integrar marketing y ventas, en "
               "porcentaje de lo que habrían sido sin integrar.")},
    "counterfactual": {
        "en": ("Counterfactual", "what would have happened without the change; estimated, never "
               "observed."),
        "es": ("Contrafactual", "lo que habría pasado sin el cambio; se estima, nunca se "
               "observa.")},
    "difference_in_differences": {
        "en": ("Difference-in-differences", "compares how revenue changed in units that "
               "integrated with how it changed in units that had not yet."),
        "es": ("Diferencias en diferencias", "compara cómo cambiaron los ingresos en las unidades "
               "que se integraron con cómo cambiaron en las que aún no lo habían hecho.")},
    "smarketing": {
        "en": ("Smarketing", "marketing and sales working as one team with shared goals and "
               "shared credit."),
        "es": ("Smarketing", "marketing y ventas trabajando como un solo equipo, con objetivos y "
               "mérito compartidos.")},
}

_CONFIDENCE = {
    "high": {"en": "high confidence", "es": "confianza alta"},
    "medium": {"en": "medium confidence", "es": "confianza media"},
    "low": {"en": "low confidence: the attribution models disagree",
            "es": "confianza baja: los modelos de atribución no coinciden"},
}


# --------------------------------------------------------------------------------------------
# formatting
# --------------------------------------------------------------------------------------------

def _lang(language: str) -> str:
    return settings.validate_language(language)


def _finite(x: Any, name: str) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a number, got {x!r}") from exc
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {x!r}")
    return v


def _known(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x)) and not pd.isna(x)


def format_number(x: float, decimals: int = 0, language: str = "en") -> str:
    """A number with thousands separators: ``1,234.5`` (en); ``1234,5`` / ``12.345,5`` (es: decimal
    comma, a point between thousands from five digits on, following RAE usage)."""
    lang = _lang(language)
    v = round(_finite(x, "x"), decimals)
    v = 0.0 if v == 0 else v  # no "-0"
    s = f"{v:,.{decimals}f}"
    if lang == "es":
        digits = len(s.lstrip("-").split(".")[0].replace(",", ""))
        s = s.replace(",", "\0").replace(".", ",").replace("\0", "." if digits > 4 else "")
    return s


def format_money(x: float, language: str = "en", currency: str | None = None) -> str:
    """Money rounded for reading: two significant figures from a thousand up (``$1.2M``, ``$12M``,
    ``$850k``, ``$4.3k``), whole units below (``$850``); Spanish ``1,2 M US$``, ``850 mil US$``,
    ``1,5 mil M US$`` (mil millones), ``850 US$``. ``currency``: an ISO 4217 code (``"BRL"`` →
    ``R$1.2M`` / ``1,2 M BRL``, ``"EUR"`` → ``€850k`` / ``850 mil €``), default the report's
    (:func:`smlib.presentation.settings.set_report_locale`); a bare symbol (``"$"``) is written as given."""
    lang = _lang(language)
    v = _finite(x, "amount")
    a = abs(v)
    scales = [(1e9, "B", " mil M"), (1e6, "M", " M"), (1e3, "k", " mil"), (1.0, "", "")]
    for size, en, es in scales:
        # 999,500 already reads as 1.0M, never as 1000k
        if a >= size * 0.9995 or size == 1.0:
            scaled = a / size
            dec = 1 if size > 1 and round(scaled, 1) < 10 else 0
            break
    num = format_number(scaled, dec, lang)
    return settings.attach_currency(num + (en if lang == "en" else es), currency, lang,
                                      negative=v < 0 and bool(num.strip("0,.")))


def _pct_decimals(x: float) -> int:
    return 1 if abs(x) < 0.0995 else 0


def format_pct(x: float, language: str = "en", decimals: int | None = None) -> str:
    """A fraction as a percentage: ``0.234`` → ``23 %`` (en) / ``23 %`` (es, ``7,9 %``); one
    decimal below 10 % (``7.9 %``), none above, unless ``decimals`` is given. A space before the
    sign in both languages, as in the verdicts of :mod:`smlib.causal.claims`."""
    lang = _lang(language)
    v = _finite(x, "fraction") * 100
    d = _pct_decimals(v / 100) if decimals is None else decimals
    return format_number(v, d, lang) + " %"


def _pct_formatter(*values: Any) -> Any:
    """A percentage formatter with one decimal count for an estimate and its bounds (decided by the
    largest of them), so that ``5.5 % (-2.8 % to 13.0 %)`` never mixes precisions."""
    finite = [abs(float(v)) for v in values if _known(v) and math.isfinite(float(v))]
    d = _pct_decimals(max(finite)) if finite else 0
    return lambda x, lang: format_pct(x, lang, decimals=d)


def format_months(x: float, language: str = "en") -> str:
    """Months with one decimal: ``4.1 months`` / ``4,1 meses``."""
    lang = _lang(language)
    return f"{format_number(x, 1, lang)} {'months' if lang == 'en' else 'meses'}"


def format_days(x: float, language: str = "en") -> str:
    """Whole days: ``64 days`` / ``64 días``."""
    lang = _lang(language)
    return f"{format_number(x, 0, lang)} {'days' if lang == 'en' else 'días'}"


def format_month(ts: Any, language: str = "en") -> str:
    """A month for prose: ``Jan 2022`` / ``ene 2022``."""
    t = pd.Timestamp(ts)
    return f"{_MONTHS[_lang(language)][t.month - 1]} {t.year}"


def format_interval(low: float, high: float, fmt: Any, language: str = "en",
                    level: float = 0.95) -> str:
    """``95 % interval: 5.1 % to 10.6 %`` / ``intervalo del 95 %: de 5,1 % a 10,6 %``; ``fmt``
    formats one bound (a callable taking ``(x, language)``)."""
    lang = _lang(language)
    lv = format_pct(level, lang, decimals=0)
    lo, hi = fmt(low, lang), fmt(high, lang)
    if lang == "en":
        return f"{lv} interval: {lo} to {hi}"
    return f"intervalo del {lv}: de {lo} a {hi}"


def model_label(model: str, language: str = "en") -> str:
    """Display name of an attribution model (``markov`` → ``Markov`` / ``de Markov``)."""
    lang = _lang(language)
    return MODEL_LABELS.get(model, {}).get(lang, model.replace("_", " "))


def channel_label(channel: str, language: str = "en") -> str:
    """Display name of a channel (``sdr_call`` → ``SDR calls`` / ``llamadas SDR``)."""
    lang = _lang(language)
    return CHANNEL_LABELS.get(channel, {}).get(lang, str(channel).replace("_", " "))


def _join(items: Sequence[str], language: str) -> str:
    """``a, b and c`` / ``a, b y c``."""
    word = " and " if language == "en" else " y "
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + word + items[-1]


# --------------------------------------------------------------------------------------------
# glossary
# --------------------------------------------------------------------------------------------

def explain(term: str, language: str = "en") -> str:
    """One line: ``"ROI (return on investment): gross profit earned minus …"``."""
    lang = _lang(language)
    if term not in GLOSSARY:
        raise ValueError(f"unknown glossary term {term!r}; known: {sorted(GLOSSARY)}")
    name, text = GLOSSARY[term][lang]
    return f"{name}: {text}"


def glossary(terms: Iterable[str] | None = None, language: str = "en") -> pd.DataFrame:
    """The glossary as a two-column table for the given terms (default: all); headers in the
    language: ``Term, Meaning`` / ``Término, Significado``."""
    lang = _lang(language)
    keys = list(GLOSSARY) if terms is None else list(terms)
    rows = [GLOSSARY[k][lang] if k in GLOSSARY else explain(k, lang) for k in keys]
    return pd.DataFrame(rows, columns=["Term", "Meaning"] if lang == "en"
                        else ["Término", "Significado"])


# --------------------------------------------------------------------------------------------
# headlines
# --------------------------------------------------------------------------------------------

def headline_revenue(revenue: float, new_customers: int, won_deals: int | None = None,
                     start: Any = None, end: Any = None, language: str = "en") -> str:
    """Won revenue, new customers and the period it covers (won deals are named only when some
    came from existing customers).

    >>> headline_revenue(12_345_678, 430, 512, "2022-01-01", "2025-12-01")
    'Won revenue was $12M from 430 new customers (512 won deals) between Jan 2022 and Dec 2025.'
    """
    lang = _lang(language)
    rev = format_money(revenue, lang)
    n = format_number(new_customers, 0, lang)
    deals = "" if won_deals is None or won_deals == new_customers else (
        f" ({format_number(won_deals, 0, lang)} won deals)" if lang == "en"
        else f" ({format_number(won_deals, 0, lang)} operaciones ganadas)")
    when = ""
    if start is not None and end is not None:
        a, b = format_month(start, lang), format_month(end, lang)
        when = f" between {a} and {b}" if lang == "en" else f" entre {a} y {b}"
    if lang == "en":
        return f"Won revenue was {rev} from {n} new customers{deals}{when}."
    return f"Los ingresos ganados fueron {rev} de {n} clientes nuevos{deals}{when}."


def headline_cac(cac: float, ci_low: float | None = None, ci_high: float | None = None,
                 paid_cac: float | None = None, language: str = "en") -> str:
    """Blended CAC with its interval, and paid CAC when given (NaN paid CAC is said so).

    >>> headline_cac(8400, 7900, 9000, paid_cac=3100)
    'Winning a new customer costs $8.4k (95 % interval: $7.9k to $9.0k), counting every marketing and sales cost, salaries included; paid advertising alone spends $3.1k per customer it is credited with.'
    """
    lang = _lang(language)
    if not _known(cac):
        return ("No new customer was won, so the cost per customer cannot be computed."
                if lang == "en" else
                "No se ganó ningún cliente nuevo, así que no se puede calcular el coste por "
                "cliente.")
    ci = (f" ({format_interval(ci_low, ci_high, format_money, lang)})"
          if _known(ci_low) and _known(ci_high) else "")
    if lang == "en":
        s = (f"Winning a new customer costs {format_money(cac, lang)}{ci}, counting every "
             "marketing and sales cost, salaries included")
    else:
        s = (f"Ganar un cliente nuevo cuesta {format_money(cac, lang)}{ci}, contando todos los "
             "costes de marketing y ventas, salarios incluidos")
    if paid_cac is not None:
        if _known(paid_cac):
            s += (f"; paid advertising alone spends {format_money(paid_cac, lang)} per customer it "
                  "is credited with" if lang == "en" else
                  f"; la publicidad de pago gasta {format_money(paid_cac, lang)} por cada cliente "
                  "que se le atribuye")
        else:
            s += ("; no customer is credited to paid advertising, so its cost per customer is "
                  "undefined" if lang == "en" else
                  "; no se atribuye ningún cliente a la publicidad de pago, así que su coste por "
                  "cliente no está definido")
    return s + "."


def headline_payback(payback_months: float, ltv_to_cac: float | None = None,
                     language: str = "en") -> str:
    """CAC payback against the < 12-month target and LTV:CAC against the ≥ 3 target (Skok).

    >>> headline_payback(14.2, 3.1)
    'The cost of a customer is paid back after 14.2 months of its gross profit (target: under 12), and over its lifetime a customer brings 3.1 times what it cost (target: 3 or more).'
    """
    lang = _lang(language)
    if not _known(payback_months):
        return ("The payback time cannot be computed (no customers or no gross profit)."
                if lang == "en" else
                "No se puede calcular el tiempo de recuperación (sin clientes o sin margen).")
    m = format_months(payback_months, lang)
    if lang == "en":
        s = f"The cost of a customer is paid back after {m} of its gross profit (target: under 12)"
        if _known(ltv_to_cac):
            s += (f", and over its lifetime a customer brings {format_number(ltv_to_cac, 1, lang)} "
                  "times what it cost (target: 3 or more)")
    else:
        s = (f"El coste de un cliente se recupera tras {m} de su margen bruto (objetivo: menos "
             "de 12)")
        if _known(ltv_to_cac):
            s += (f", y a lo largo de su vida un cliente aporta {format_number(ltv_to_cac, 1, lang)}"
                  " veces lo que costó (objetivo: 3 o más)")
    return s + "."


def _roi_phrase(row: pd.Series, language: str) -> str:
    team = _TEAMS.get(row["team"], {}).get(language, row["team"])
    if not _known(row.get("roi")):
        return (f"{team} cannot be judged (the model credits it no sales or it has no cost)"
                if language == "en" else
                f"{team} no se puede evaluar (el modelo no le atribuye ventas o no tiene coste)")
    lo, hi = row.get("roi_ci_low"), row.get("roi_ci_high")
    has_ci = _known(lo) and _known(hi)
    fmt = _pct_formatter(row["roi"], *((lo, hi) if has_ci else ()))
    roi = fmt(row["roi"], language)
    cost = format_money(row["cost"], language)
    ci = f" ({format_interval(lo, hi, fmt, language)})" if has_ci else ""
    if language == "en":
        return f"{team} earns an ROI of {roi}{ci} on {cost} of cost"
    return f"{team} obtiene un ROI del {roi}{ci} sobre {cost} de coste"


def headline_roi_by_team(team_table: pd.DataFrame, model: str, language: str = "en") -> str:
    """ROI of marketing and of sales under one attribution model, from
    :func:`smlib.metrics.team_economics` (its ``roi_ci_*`` shown when present).

    >>> t = pd.DataFrame({"model": "markov", "team": ["marketing", "sales"],
    ...                   "cost": [2.1e6, 3.4e6], "roi": [0.45, 1.2]})
    >>> headline_roi_by_team(t, "markov")
    'With credit shared by the Markov model, marketing earns an ROI of 45 % on $2.1M of cost and sales earns an ROI of 120 % on $3.4M of cost.'
    """
    lang = _lang(language)
    need = {"model", "team", "cost", "roi"} - set(team_table.columns)
    if need:
        raise ValueError(f"team_table: missing column(s) {sorted(need)}")
    rows = team_table.loc[team_table["model"].eq(model)]
    if rows.empty:
        raise ValueError(f"team_table has no rows for model {model!r}; models: "
                         f"{list(team_table['model'].unique())}")
    order = {"marketing": 0, "sales": 1}
    rows = rows.sort_values("team", key=lambda s: s.map(order).fillna(9))
    parts = [_roi_phrase(r, lang) for _, r in rows.iterrows()]
    ml = model_label(model, lang)
    if lang == "en":
        return f"With credit shared by the {ml} model, {_join(parts, lang)}."
    return f"Con el mérito repartido por el modelo {ml}, {_join(parts, lang)}."


def headline_uplift(estimate_pct: float, ci_low: float, ci_high: float, claim: float = 0.20,
                    level: float = 0.95, language: str = "en") -> str:
    """The estimated revenue uplift from integrating the teams with its interval, judged against
    the claim (default "up to 20 %"): a sentence stating the claim, then the verdict of
    :func:`smlib.causal.claims` (which gives the estimate and interval; its wording is not
    duplicated here). ``estimate_pct``, ``ci_low``, ``ci_high`` and ``claim`` are fractions of
    counterfactual revenue.

    >>> headline_uplift(0.079, 0.051, 0.106)  # doctest: +NORMALIZE_WHITESPACE
    'Claim tested: integrating marketing and sales raises revenue by up to 20 %. Contradicts the
    claim: the effect is clearly smaller than 20.0 %. The uplift is 7.9 % (interval 5.1 % to
    10.6 %); integration added revenue, but less than claimed.'
    """
    lang = _lang(language)
    # the causal team owns the verdict wording; import from the module itself, because once
    # smlib.causal.claims is imported the package attribute `verdict` is that module
    from smlib.causal.claims import verdict

    v = verdict(estimate_pct, ci_low, ci_high, claim=claim, language=lang, level=level)
    c = format_pct(_finite(claim, "claim"), lang)
    if lang == "en":
        lead = f"Claim tested: integrating marketing and sales raises revenue by up to {c}."
    else:
        lead = (f"Afirmación puesta a prueba: integrar marketing y ventas aumenta los ingresos "
                f"hasta un {c}.")
    return f"{lead} {v.text}"


def headline_channels(recommendations: pd.DataFrame, n_models: int | None = None,
                      max_items: int = 4, language: str = "en") -> str:
    """Which channels to grow, review or cut and how sure we are, from
    :func:`smlib.metrics.recommend_channels` (``channel, action, confidence``). At most
    ``max_items`` channels per group, best ROI first; ``n_models`` is the number of attribution
    models compared (said in the sentence).

    >>> r = pd.DataFrame({"channel": ["webinar", "email", "demo", "events", "paid_social"],
    ...                   "action": ["grow", "grow", "grow", "review", "cut"],
    ...                   "confidence": ["high", "medium", "high", "low", "medium"]})
    >>> headline_channels(r, n_models=9)
    'Judged by ROI on the gross profit of the deals booked (before renewals) under 9 attribution models: grow webinars and demos (high confidence) and email (medium confidence); review events (low confidence: the attribution models disagree); cut paid social (medium confidence).'
    """
    lang = _lang(language)
    need = {"channel", "action", "confidence"} - set(recommendations.columns)
    if need:
        raise ValueError(f"recommendations: missing column(s) {sorted(need)}")
    verbs = {"grow": ("grow", "aumentar"), "review": ("review", "revisar"), "cut": ("cut", "recortar")}
    parts = []
    for action, (en, es) in verbs.items():
        g = recommendations.loc[recommendations["action"].eq(action)].head(max_items)
        if g.empty:
            continue
        groups = []  # channels of one action grouped by confidence, most confident first
        for conf in ("high", "medium", "low", None):
            sub = g.loc[g["confidence"].eq(conf)] if conf else g.loc[~g["confidence"].isin(
                ["high", "medium", "low"])]
            if sub.empty:
                continue
            names = _join([channel_label(c, lang) for c in sub["channel"]], lang)
            groups.append(f"{names} ({_CONFIDENCE[conf][lang]})" if conf else names)
        parts.append(f"{en if lang == 'en' else es} {_join(groups, lang)}")
    if not parts:
        return ("No channel can be judged: none has both a cost and credited sales."
                if lang == "en" else
                "Ningún canal se puede evaluar: ninguno tiene a la vez coste y ventas atribuidas.")
    k = "" if n_models is None else f" {n_models}"
    if lang == "en":
        return (f"Judged by ROI on the gross profit of the deals booked (before renewals) under{k} "
                f"attribution models: {'; '.join(parts)}.")
    return (f"Según el ROI sobre el margen bruto de las operaciones firmadas (sin renovaciones) "
            f"con{k} modelos de atribución: {'; '.join(parts)}.")


def headline_funnel(win_rate: float, ci_low: float | None, ci_high: float | None,
                    cycle_days: float | None = None, language: str = "en") -> str:
    """Win rate with its interval and the average sales cycle.

    >>> headline_funnel(0.372, 0.351, 0.394, 63.6)
    '37 % of closed deals are won (95 % interval: 35 % to 39 %); a won deal takes 64 days on average from opportunity to signature.'
    """
    lang = _lang(language)
    if not _known(win_rate):
        return ("No deal has closed yet, so the win rate is unknown." if lang == "en" else
                "Aún no se ha cerrado ninguna operación, así que la tasa de cierre es desconocida.")
    has_ci = _known(ci_low) and _known(ci_high)
    fmt = _pct_formatter(win_rate, *((ci_low, ci_high) if has_ci else ()))
    ci = f" ({format_interval(ci_low, ci_high, fmt, lang)})" if has_ci else ""
    wr = fmt(win_rate, lang)
    if lang == "en":
        s = f"{wr} of closed deals are won{ci}"
        if _known(cycle_days):
            s += (f"; a won deal takes {format_days(cycle_days, lang)} on average from opportunity "
                  "to signature")
    else:
        s = f"Se gana el {wr} de las operaciones cerradas{ci}"
        if _known(cycle_days):
            s += (f"; una operación ganada tarda de media {format_days(cycle_days, lang)} desde la "
                  "oportunidad hasta la firma")
    return s + "."


# --------------------------------------------------------------------------------------------
# the executive summary: headline items, section texts, printable tables
# --------------------------------------------------------------------------------------------

#: Detailed reports of the same run folder that each headline points to (relative links).
REPORT_LINKS: dict[str, str] = {
    "overview": "00_data_overview.html",
    "attribution": "01_attribution_comparison.html",
    "uplift": "02_integration_uplift.html",
}

_LABELS = {
    "title": ("Executive summary: what marketing and sales cost, earn, and gain by working as one "
              "team", "Resumen ejecutivo: lo que cuestan y ganan marketing y ventas, y lo que "
              "ganan trabajando como un solo equipo"),
    "revenue": ("Revenue", "Ingresos"),
    "cac": ("Cost of a new customer", "Coste de un cliente nuevo"),
    "payback": ("Payback and lifetime value", "Recuperación y valor de vida"),
    "roi": ("Return by team", "Retorno por equipo"),
    "uplift": ("Effect of integrating the teams", "Efecto de integrar los equipos"),
    "channels": ("Channels to grow or cut", "Canales a aumentar o recortar"),
    "funnel": ("Closing deals", "Cierre de operaciones"),
    "event_title": ("Effect of integration on a unit's monthly revenue, by months since it "
                    "integrated\n({currency} per unit-month; bars = 95 % interval; before 0 "
                    "should be ≈ 0)",
                    "Efecto de la integración en los ingresos mensuales de una unidad, por meses "
                    "desde que se integró\n({currency} por unidad y mes; barras = intervalo del "
                    "95 %; antes de 0 debería ser ≈ 0)"),
    "event_x": ("Months since the unit integrated (0 = first integrated month)",
                "Meses desde que la unidad se integró (0 = primer mes integrada)"),
    "event_y": ("Extra revenue ({currency} per unit-month)",
                "Ingresos extra ({currency} por unidad y mes)"),
    "heading": ("Executive summary", "Resumen ejecutivo"),
    "cost_section": ("Cost of a customer", "Coste de un cliente"),
    "funnel_section": ("The funnel", "El embudo"),
    "needs_opportunities": ("leads or deals (the opportunities table has no rows)",
                            "leads u oportunidades (la tabla de oportunidades no tiene filas)"),
    "opportunities_unlocks": ("how leads move through the funnel and how many deals are won",
                              "cómo avanzan los leads por el embudo y cuántas operaciones se ganan"),
    "teams_section": ("Return by team", "Rentabilidad por equipo"),
    "channels_section": ("Channels to grow or cut", "Canales que aumentar o recortar"),
    "uplift_section": ("Uplift from integration", "Aumento por la integración"),
    "needs_spend": ("a spend table (costs by month, channel and team)",
                    "una tabla de costes (por mes, canal y equipo)"),
    "spend_unlocks": ("the cost of winning a customer (CAC), payback, lifetime value to cost, and "
                      "the return (ROI, ROAS) of each team and channel",
                      "el coste de ganar un cliente (CAC), el plazo de recuperación, el valor de "
                      "vida frente al coste y la rentabilidad (ROI, ROAS) de cada equipo y canal"),
    "needs_units": ("a monthly panel of business units with the month each integrated marketing "
                    "and sales (or a planned rollout)",
                    "un panel mensual de unidades de negocio con el mes en que cada una integró "
                    "marketing y ventas (o un despliegue planificado)"),
    "units_unlocks": ("how much revenue integrating the teams added, with its interval, and a "
                      "verdict on the claimed uplift",
                      "cuántos ingresos añadió integrar los equipos, con su intervalo, y un "
                      "veredicto sobre el aumento afirmado"),
}


def label(key: str, language: str = "en") -> str:
    """Short label of a headline item or the report title, in the language (money in the
    report's currency)."""
    lang = _lang(language)
    if key not in _LABELS:
        raise ValueError(f"unknown label {key!r}; known: {sorted(_LABELS)}")
    text = _LABELS[key][0 if lang == "en" else 1]
    return text.replace("{currency}", settings.currency_symbol(language=lang))


def _short_values(*, blended: pd.DataFrame, unit_econ: pd.DataFrame, teams: pd.DataFrame,
                  model: str, uplift: Any, recommendations: pd.DataFrame, win: pd.DataFrame,
                  cycle: pd.DataFrame, claim: float, lang: str,
                  unavailable: Mapping[str, str] | None = None) -> list[str]:
    """The seven headline numbers, short, in the order of :func:`executive_items`; an item named
    in ``unavailable`` shows that text instead (and is not computed)."""
    from smlib.causal.claims import verdict  # the causal team's rule decides the verdict

    en = lang == "en"
    to = "to" if en else "a"

    def revenue() -> str:
        b = blended.iloc[0]
        return (f"{format_money(b['revenue'], lang)} "
                f"{'from' if en else 'de'} {format_number(b['new_customers'], 0, lang)} "
                f"{'new customers' if en else 'clientes nuevos'}")

    def cac() -> str:
        b = blended.iloc[0]
        return "–" if not _known(b["cac"]) else format_money(b["cac"], lang) + (
            f" ({format_money(b['cac_ci_low'], lang)} {to} {format_money(b['cac_ci_high'], lang)})"
            if _known(b["cac_ci_low"]) and _known(b["cac_ci_high"]) else "")

    def payback() -> str:
        u = unit_econ.iloc[0]
        return "–" if not _known(u["payback_months"]) else (
            f"{format_months(u['payback_months'], lang)} "
            + ("to pay back (target < 12)" if en else "para recuperarlo (objetivo < 12)")
            + (f"; LTV:CAC {format_number(u['ltv_to_cac'], 1, lang)} "
               + ("(target ≥ 3)" if en else "(objetivo ≥ 3)") if _known(u["ltv_to_cac"]) else ""))

    def roi() -> str:
        parts = []
        t = teams.loc[teams["model"].eq(model)].sort_values(
            "team", key=lambda x: x.map({"marketing": 0, "sales": 1}).fillna(9))
        for _, r in t.iterrows():
            name = _TEAMS.get(r["team"], {}).get(lang, r["team"])
            lo, hi = r.get("roi_ci_low"), r.get("roi_ci_high")
            if not _known(r["roi"]):
                parts.append(f"{name} –")
                continue
            has = _known(lo) and _known(hi)
            f = _pct_formatter(r["roi"], *((lo, hi) if has else ()))
            parts.append(f"{name} {f(r['roi'], lang)}" + (f" ({f(lo, lang)} {to} {f(hi, lang)})"
                                                          if has else ""))
        return ", ".join(parts)

    def uplift_text() -> str:
        if uplift is None:
            return _NOT_AVAILABLE["uplift"][0 if en else 1]
        return _uplift_short(uplift, claim, lang, verdict)

    def funnel() -> str:
        w, c = win.iloc[0], cycle.iloc[0]
        if not _known(w["win_rate"]):
            return "–"
        has = _known(w["ci_low"]) and _known(w["ci_high"])
        f = _pct_formatter(w["win_rate"], *((w["ci_low"], w["ci_high"]) if has else ()))
        text = (f"{f(w['win_rate'], lang)} " + ("of deals won" if en else "de operaciones ganadas")
                + (f" ({f(w['ci_low'], lang)} {to} {f(w['ci_high'], lang)})" if has else ""))
        if _known(c["mean_days"]):
            text += (f"; {format_days(c['mean_days'], lang)} "
                     + ("to close" if en else "hasta el cierre"))
        return text

    makers = {"revenue": revenue, "cac": cac, "payback": payback, "roi": roi,
              "uplift": uplift_text,
              "channels": lambda: _channel_actions_short(recommendations, lang),
              "funnel": funnel}
    missing = dict(unavailable or {})
    return [missing[k] if k in missing else make() for k, make in makers.items()]


def unavailable_items(spend: bool = True, attribution: str | None = None,
                      language: str = "en") -> dict[str, str]:
    """Which executive headline items cannot be computed, with the text shown instead.

    ``spend=False`` (no spend table with costs): cost, payback, return and channel actions.
    ``attribution`` (why no attribution model can run, a clause in ``language``, e.g. "there is no
    won deal after a touch"): return by team and channel actions. For :func:`executive_items`'
    ``unavailable``.
    """
    lang = _lang(language)
    out: dict[str, str] = {}
    if attribution:
        text = (f"not available: {attribution}" if lang == "en" else
                f"no disponible: {attribution}")
        out |= {"roi": text, "channels": text}
    if not spend:
        text = _NOT_AVAILABLE["spend"][0 if lang == "en" else 1]
        out |= {"cac": text, "payback": text, "roi": text, "channels": text}
    return out


#: What a headline says when its data are missing: (English, Spanish).
_NOT_AVAILABLE: dict[str, tuple[str, str]] = {
    "spend": ("not available: needs a spend table (costs by month and channel)",
              "no disponible: requiere una tabla de costes (por mes y canal)"),
    "uplift": ("cannot be estimated from this data (no business units with adoption dates)",
               "no se puede estimar con estos datos (no hay unidades con fechas de integración)"),
}


def _uplift_short(uplift: Any, claim: float, lang: str, verdict: Any) -> str:
    """The uplift with its interval and how it compares with the claim, in a few words."""
    en = lang == "en"
    to = "to" if en else "a"
    v = verdict(uplift.estimate, uplift.ci_low, uplift.ci_high, claim=claim, language=lang)
    claim_txt = format_pct(claim, lang)
    judged = {
        "supports": (f"consistent with the claimed {claim_txt}", f"compatible con el {claim_txt} afirmado"),
        "contradicts_smaller": (f"clearly below the claimed {claim_txt}",
                                f"claramente por debajo del {claim_txt} afirmado"),
        "contradicts_larger": (f"clearly above the claimed {claim_txt}",
                               f"claramente por encima del {claim_txt} afirmado"),
        "cannot_tell": (f"too uncertain to judge the claimed {claim_txt}",
                        f"demasiado incierto para juzgar el {claim_txt} afirmado"),
    }[v.code][0 if en else 1]
    # one decimal, as the causal verdict writes it (an uplift is a few percent)
    f = lambda x, lg: format_pct(x, lg, decimals=1)  # noqa: E731
    sign = "+" if uplift.estimate > 0 else ""
    return (f"{sign}{f(uplift.estimate, lang)} ({f(uplift.ci_low, lang)} {to} "
            f"{f(uplift.ci_high, lang)}), {judged}")


def _channel_actions_short(recommendations: pd.DataFrame, lang: str) -> str:
    """Channels to grow / cut / review, in a few words."""
    en = lang == "en"
    groups = []
    for action, (a_en, a_es) in (("grow", ("grow", "aumentar")), ("cut", ("cut", "recortar"))):
        names = [channel_label(x, lang) for x in
                 recommendations.loc[recommendations["action"].eq(action), "channel"]]
        if names:
            groups.append(f"{a_en if en else a_es}: {', '.join(names)}")
    n_review = int(recommendations["action"].eq("review").sum())
    if n_review:
        groups.append(f"{n_review} " + ("unclear (models disagree)" if en
                                        else "dudosos (los modelos no coinciden)"))
    return " · ".join(groups) if groups else (
        "no channel can be judged" if en else "ningún canal se puede evaluar")


def executive_items(*, blended: pd.DataFrame, paid: pd.DataFrame, unit_econ: pd.DataFrame,
                    teams: pd.DataFrame, model: str, uplift: Any, recommendations: pd.DataFrame,
                    n_models: int, win: pd.DataFrame, cycle: pd.DataFrame, start: Any, end: Any,
                    claim: float = 0.20, language: str = "en",
                    short: bool = True, spend_available: bool = True,
                    unavailable: Mapping[str, str] | None = None) -> list[tuple[str, str, str]]:
    """The seven headlines of the executive summary as ``(label, text, link)``.

    ``short=True`` (for :func:`smlib.report.show_headline`): the number with its interval in a few
    words (``"$41k ($39k to $43k)"``); ``short=False``: the full plain-language sentence of each
    ``headline_*`` function (for :func:`sentences_html`). Inputs are the overall (one-row)
    outputs of :func:`smlib.metrics.blended_cac`, :func:`~smlib.metrics.paid_cac` (the row of
    ``model`` is used), :func:`~smlib.metrics.customer_economics`,
    :func:`~smlib.metrics.team_economics`, :func:`~smlib.metrics.recommend_channels`,
    :func:`~smlib.metrics.win_rate` and :func:`~smlib.metrics.sales_cycle`, plus an uplift
    result with ``estimate, ci_low, ci_high`` (fractions; e.g.
    :func:`smlib.causal.claims.uplift_percent`), or ``None`` when the data cannot estimate it.
    ``spend_available=False`` (no spend table): cost, payback, return and channel actions say what
    they need instead of a number; ``unavailable`` (item key -> text, see
    :func:`unavailable_items`) replaces any item the data cannot support. Each item links to the report with the details
    (:data:`REPORT_LINKS`)."""
    lang = _lang(language)
    keys = ["revenue", "cac", "payback", "roi", "uplift", "channels", "funnel"]
    links = [REPORT_LINKS[k] for k in ("overview", "attribution", "overview", "attribution",
                                       "uplift", "attribution", "overview")]
    missing = {**unavailable_items(spend=spend_available, language=lang), **(unavailable or {})}
    if short:
        texts = _short_values(blended=blended, unit_econ=unit_econ, teams=teams, model=model,
                              uplift=uplift, recommendations=recommendations, win=win,
                              cycle=cycle, claim=claim, lang=lang, unavailable=missing)
        return [(label(k, lang), t, h) for k, t, h in zip(keys, texts, links)]
    b, w, c = blended.iloc[0], win.iloc[0], cycle.iloc[0]
    u = unit_econ.iloc[0] if len(unit_econ) else None
    p = paid.loc[paid["model"].eq(model)] if paid is not None else paid
    paid_value = float(p["cac"].iloc[0]) if p is not None and len(p) else None
    no_uplift = _NOT_AVAILABLE["uplift"][0 if lang == "en" else 1]
    makers = {
        "revenue": lambda: headline_revenue(b["revenue"], int(b["new_customers"]),
                                            int(b["won_deals"]), start, end, lang),
        "cac": lambda: headline_cac(b["cac"], b["cac_ci_low"], b["cac_ci_high"],
                                    paid_cac=paid_value, language=lang),
        "payback": lambda: headline_payback(u["payback_months"], u["ltv_to_cac"], lang),
        "roi": lambda: headline_roi_by_team(teams, model, lang),
        "uplift": lambda: headline_uplift(uplift.estimate, uplift.ci_low, uplift.ci_high,
                                          claim=claim, language=lang) if uplift is not None
        else no_uplift,
        "channels": lambda: headline_channels(recommendations, n_models=n_models, language=lang),
        "funnel": lambda: headline_funnel(w["win_rate"], w["ci_low"], w["ci_high"],
                                          c["mean_days"], lang),
    }
    texts = [missing[k] if k in missing else makers[k]() for k in keys]
    return [(label(k, lang), t, h) for k, t, h in zip(keys, texts, links)]


def sentences_html(items: Sequence[tuple[str, str, str]], language: str = "en") -> str:
    """The full headline sentences as an HTML list, each with a link to its detailed report;
    every text escaped (channel names are user data)."""
    import html

    lang = _lang(language)
    more = "details" if lang == "en" else "detalles"
    rows = [f'<li><strong>{html.escape(lab)}.</strong> {html.escape(text)} '
            f'<a href="{html.escape(href)}">({more} →)</a></li>' for lab, text, href in items]
    return '<ul class="smarketing-sentences">' + "".join(rows) + "</ul>"


#: Section texts of the executive summary (Markdown), English and Spanish.
REPORT_TEXT: dict[str, dict[str, str]] = {
    "intro": {
        "en": "This page is the first one to read. It answers four questions in plain words: how "
              "much we sell, what it costs to win a customer, which team and channel earn their "
              "cost back, and whether working as one marketing-and-sales team (*smarketing*) "
              "raised revenue — and by how much compared with the often quoted “up to 20 %”. "
              "Every figure comes with its 95 % interval where one exists, and each headline "
              "links to the detailed report.",
        "es": "Esta es la primera página que leer. Responde a cuatro preguntas con palabras "
              "sencillas: cuánto vendemos, cuánto cuesta ganar un cliente, qué equipo y qué canal "
              "recuperan su coste y si trabajar como un solo equipo de marketing y ventas "
              "(*smarketing*) aumentó los ingresos, y cuánto en comparación con el tan citado "
              "«hasta un 20 %». Cada cifra va con su intervalo del 95 % cuando lo hay, y cada "
              "titular enlaza con el informe detallado."},
    "sentences": {
        "en": "### The same headlines, in words",
        "es": "### Los mismos titulares, en palabras"},
    "glossary": {
        "en": "### Words used on this page\nEach technical word, explained in one line.",
        "es": "### Palabras usadas en esta página\nCada término técnico, explicado en una línea."},
    "cost": {
        "en": "### What a new customer costs, quarter by quarter\nAll marketing and sales costs "
              "(media, tools, salaries, overhead) divided by the new customers won in the "
              "quarter. Spending and winning do not happen in the same month, so single quarters "
              "move around; look at the trend. The table (when the data have business units) "
              "compares units before and after they integrated — a plain comparison, **not** "
              "the effect of integrating (the units that integrated may have differed already; "
              "the fair estimate is further down).",
        "es": "### Lo que cuesta un cliente nuevo, trimestre a trimestre\nTodos los costes de "
              "marketing y ventas (medios, herramientas, salarios, gastos generales) divididos "
              "entre los clientes nuevos ganados en el trimestre. Gastar y ganar no ocurren en el "
              "mismo mes, así que los trimestres sueltos oscilan; fíjese en la tendencia. La tabla "
              "(cuando los datos tienen unidades de negocio) compara las unidades antes y después "
              "de integrarse: una comparación simple, **no** el efecto de integrarse (las "
              "unidades que se integraron pueden haber sido distintas ya; la estimación justa "
              "está más abajo)."},
    "teams": {
        "en": "### Return of each team, under each way of sharing the credit\nA sale usually "
              "follows contacts from both teams, so how much each team “earned” depends on the "
              "attribution model used to split the credit. Bars show the ROI of marketing and of "
              "sales under every model; when the bars disagree, the budget story depends on the "
              "model, not on the data.",
        "es": "### Retorno de cada equipo según cada forma de repartir el mérito\nUna venta suele "
              "llegar tras contactos de ambos equipos, así que lo que «ganó» cada equipo depende "
              "del modelo de atribución con que se reparte el mérito. Las barras muestran el ROI "
              "de marketing y de ventas con cada modelo; cuando no coinciden, la conclusión sobre "
              "el presupuesto depende del modelo, no de los datos."},
    "channels": {
        "en": "### Channels: grow, review or cut\nEach cell is a channel's ROI (in %) under one "
              "attribution model. A channel is marked *grow* when every model finds it earns more "
              "than it costs, *cut* when every model finds it loses money, and *review* when the "
              "models disagree. Credit is not proof of cause: the accuracy of each model is "
              "checked in the attribution report.",
        "es": "### Canales: aumentar, revisar o recortar\nCada celda es el ROI (en %) de un canal "
              "con un modelo de atribución. Un canal se marca *aumentar* cuando todos los modelos "
              "indican que gana más de lo que cuesta, *recortar* cuando todos indican que pierde "
              "dinero y *revisar* cuando los modelos no coinciden. El mérito no prueba la causa: "
              "la precisión de cada modelo se comprueba en el informe de atribución."},
    "uplift": {
        "en": "### Did integrating marketing and sales raise revenue?\nUnits that integrated are "
              "compared with units that had not, before and after (difference-in-differences), "
              "so that differences that existed anyway do not count as an effect. Details, checks "
              "and other methods are in the integration report.",
        "es": "### ¿Aumentó los ingresos integrar marketing y ventas?\nSe comparan las unidades "
              "que se integraron con las que no, antes y después (diferencias en diferencias), "
              "para que las diferencias que ya existían no cuenten como efecto. Los detalles, las "
              "comprobaciones y otros métodos están en el informe de integración."},
    "funnel": {
        "en": "### The funnel: how leads become customers\nThe share of each stage that reaches "
              "the next, for leads brought by marketing and by sales (sales-sourced leads skip "
              "the MQL stage).",
        "es": "### El embudo: cómo los leads se convierten en clientes\nLa parte de cada etapa "
              "que llega a la siguiente, para los leads que trae marketing y los que trae ventas "
              "(los leads de ventas se saltan la etapa MQL)."},
    "caveats": {
        "en": "### How far to trust these numbers\n- Attribution splits credit by rules or "
              "models; it shows association, not cause. Only the integration estimate is "
              "designed as a causal comparison.\n- Lifetime value uses two assumptions set as "
              "report parameters: monthly churn of {churn} and contracts of {months} months.\n- "
              "Costs come from the spend table only, people and overhead included; revenue is "
              "the booked value of won deals.",
        "es": "### Hasta qué punto fiarse de estas cifras\n- La atribución reparte el mérito con "
              "reglas o modelos; muestra asociación, no causa. Solo la estimación de la "
              "integración está diseñada como comparación causal.\n- El valor de vida usa dos "
              "supuestos fijados como parámetros del informe: una tasa de abandono mensual del "
              "{churn} y contratos de {months} meses.\n- Los costes salen solo de la tabla de "
              "gasto, personal y gastos generales incluidos; los ingresos son el valor contratado "
              "de las operaciones ganadas."},
}


def report_text(key: str, language: str = "en", **values: Any) -> str:
    """A section text of the executive summary (Markdown), with ``{placeholders}`` filled."""
    lang = _lang(language)
    if key not in REPORT_TEXT:
        raise ValueError(f"unknown report text {key!r}; known: {sorted(REPORT_TEXT)}")
    return REPORT_TEXT[key][lang].format(**values)


_ACTIONS = {"grow": ("grow", "aumentar"), "review": ("review", "revisar"),
            "cut": ("cut", "recortar"), "not_assessed": ("not judged", "sin evaluar")}


def _fmt_cell(value: Any, kind: str, lang: str) -> str:
    if not _known(value):
        return "–"
    if kind == "money":
        return format_money(value, lang)
    if kind == "pct":
        return format_pct(value, lang)
    if kind == "int":
        return format_number(value, 0, lang)
    if kind == "channel":
        return channel_label(value, lang)
    if kind == "model":
        return model_label(value, lang)
    if kind == "team":
        return _TEAMS.get(value, {}).get(lang, str(value))
    if kind == "action":
        return _ACTIONS.get(value, (value, value))[0 if lang == "en" else 1]
    if kind == "confidence":
        return {"high": ("high", "alta"), "medium": ("medium", "media"), "low": ("low", "baja"),
                "none": ("–", "–")}.get(value, (value, value))[0 if lang == "en" else 1]
    if kind == "regime":
        return {"integrated": ("integrated teams", "equipos integrados"),
                "separate": ("separate teams", "equipos separados")}.get(
                    value, (value, value))[0 if lang == "en" else 1]
    return str(value)


def table_for_print(df: pd.DataFrame, columns: Sequence[tuple[str, str, str, str]],
                    language: str = "en",
                    intervals: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """A results table formatted for leadership: the chosen ``columns`` as
    ``(column, kind, English header, Spanish header)`` with ``kind`` in money, pct, int, channel,
    model, team, action, confidence, regime, text; ``intervals`` maps a column to its
    ``(low, high)`` columns, shown as ``value (low to high)``. Missing values show as ``–``.
    Returns text cells (pandas escapes them when rendered as HTML)."""
    lang = _lang(language)
    intervals = dict(intervals or {})
    missing = [c for c, *_ in columns if c not in df.columns]
    missing += [x for lo_hi in intervals.values() for x in lo_hi if x not in df.columns]
    if missing:
        raise ValueError(f"table_for_print: missing column(s) {missing}")
    out = {}
    for col, kind, en, es in columns:
        cells = [_fmt_cell(v, kind, lang) for v in df[col]]
        if col in intervals:
            lo_c, hi_c = intervals[col]
            word = "to" if lang == "en" else "a"
            for i, (v, lo, hi) in enumerate(zip(df[col], df[lo_c], df[hi_c])):
                if not (_known(v) and _known(lo) and _known(hi)):
                    continue
                if kind == "pct":  # one precision for a value and its bounds
                    f = _pct_formatter(v, lo, hi)
                    cells[i] = f"{f(v, lang)} ({f(lo, lang)} {word} {f(hi, lang)})"
                else:
                    cells[i] = (f"{cells[i]} ({_fmt_cell(lo, kind, lang)} {word} "
                                f"{_fmt_cell(hi, kind, lang)})")
        out[en if lang == "en" else es] = cells
    return pd.DataFrame(out, index=range(len(df)))


def headline_note(start: Any, end: Any, model: str, language: str = "en") -> str:
    """Caption of the headline block: data period and the attribution model used for credit."""
    lang = _lang(language)
    a, b = format_month(start, lang), format_month(end, lang)
    if lang == "en":
        return (f"Data from {a} to {b}. Credit for each sale shared with the {model_label(model, lang)} "
                "model. Intervals are 95 %.")
    return (f"Datos de {a} a {b}. Mérito de cada venta repartido con el modelo "
            f"{model_label(model, lang)}. Los intervalos son del 95 %.")


def html_table(df: pd.DataFrame) -> str:
    """A table as HTML for the report: no index, every cell escaped (a channel named
    ``<script>`` shows as text)."""
    out = df.to_html(index=False, escape=True, border=0, justify="left",
                     classes="dataframe smarketing-table")
    # text reads left-aligned (the notebook CSS right-aligns table cells for numbers)
    return (out.replace("<td>", '<td style="text-align: left;">')
            .replace("<th>", '<th style="text-align: left;">'))


def recommendation_reason(n_positive: int, n_negative: int, n_models: int,
                          language: str = "en") -> str:
    """Why a channel is marked grow / review / cut: ``"ROI above 0 under 10 of 12 models"``."""
    lang = _lang(language)
    if n_models == 0:
        return ("no model can judge it (no cost, overhead or no credit)" if lang == "en" else
                "ningún modelo puede evaluarlo (sin coste, gasto general o sin mérito)")
    if lang == "en":
        return (f"ROI above 0 under {n_positive} of {n_models} models, below 0 under "
                f"{n_negative}")
    return (f"ROI mayor que 0 con {n_positive} de {n_models} modelos, menor que 0 con "
            f"{n_negative}")


def recommendations_for_print(recommendations: pd.DataFrame, model: str,
                              language: str = "en") -> pd.DataFrame:
    """The output of :func:`smlib.metrics.recommend_channels` as a printable table in the
    language: channel, team, action, confidence, ROI under ``model`` with its interval, cost and
    the reason."""
    lang = _lang(language)
    need = {"n_positive", "n_negative", "n_models"} - set(recommendations.columns)
    if need:
        raise ValueError(f"recommendations: missing column(s) {sorted(need)}")
    rec = recommendations.assign(why=[
        recommendation_reason(p, n, m, lang) for p, n, m in zip(
            recommendations["n_positive"], recommendations["n_negative"],
            recommendations["n_models"])])
    roi_en = f"ROI, {model_label(model, 'en')} model (95 % interval)"
    roi_es = f"ROI, modelo {model_label(model, 'es')} (intervalo del 95 %)"
    return table_for_print(
        rec, [("channel", "channel", "Channel", "Canal"), ("team", "team", "Team", "Equipo"),
              ("action", "action", "Action", "Acción"),
              ("confidence", "confidence", "Confidence", "Confianza"),
              ("roi", "pct", roi_en, roi_es), ("cost", "money", "Cost", "Coste"),
              ("why", "text", "Why", "Motivo")],
        lang, intervals={"roi": ("roi_ci_low", "roi_ci_high")})
