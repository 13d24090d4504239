"""The search URL codec: every parameter round-trips, every bad value is named in French."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import parse_qs

import pytest

from veilleuse.app.search import SearchMode, SearchQuery
from veilleuse.app.search_params import (
    PARAMS,
    SearchParamsError,
    parse_query,
    parse_query_string,
    search_page_url,
    to_query_string,
)
from veilleuse.app.search_wording import describe_filters, describe_sort
from veilleuse.core.errors import ValidationError
from veilleuse.core.models import NoticeKind, NoticeStatus
from veilleuse.search.store import Filters, Sort, SortKey

FULL = SearchQuery.paged(
    3,
    10,
    text="espaces verts",
    mode=SearchMode.TEXT,
    filters=Filters(
        kinds=[NoticeKind.TENDER, NoticeKind.FUNDING_CALL],
        sources=["boamp", "aides-territoires"],
        departments=["59", "62"],
        cpv_prefixes=["90", "7731"],
        reserved=True,
        social_clause=False,
        statuses=[NoticeStatus.OPEN],
        buyer="Ville de Lille",
        buyer_areas=["245901160", "59350"],  # Valenciennes Métropole, Lille
        amount_min=10_000,
        amount_max=50_000.5,
        deadline_from=date(2026, 12, 1),
        deadline_to=date(2026, 12, 31),
        published_from=date(2026, 11, 1),
        published_to=date(2026, 11, 30),
        audiences=["associations"],
        updated_since=datetime(2026, 11, 20, 10, 0, tzinfo=UTC),
    ),
    published_days=7,
    sort=Sort(key=SortKey.PUBLISHED, descending=True),
)


def test_every_parameter_round_trips() -> None:
    qs = to_query_string(FULL)
    assert [k for k in parse_qs(qs)] == [p for p in PARAMS if p in parse_qs(qs)]
    assert set(parse_qs(qs)) == set(PARAMS)  # the full query uses every parameter
    again = parse_query_string(qs)
    assert again == FULL
    assert to_query_string(again) == qs
    assert (again.page, again.per_page, again.offset) == (3, 10, 20)


def test_defaults_are_left_out_and_an_empty_url_is_the_default_query() -> None:
    assert to_query_string(SearchQuery()) == ""
    assert parse_query({}) == SearchQuery()
    plain = parse_query_string("?q=nettoyage")
    assert plain.mode is SearchMode.HYBRID and plain.sort is None and plain.page == 1
    assert to_query_string(plain) == "q=nettoyage"


def test_lists_repeat_or_use_commas_and_empty_fields_are_ignored() -> None:
    query = parse_query(
        {"dep": ["59,62", "5", "59"], "cpv": ["77310000-6", "90000000"], "buyer": [""], "q": [" "]}
    )
    assert query.filters.departments == ["59", "62", "05"]
    assert query.filters.cpv_prefixes == ["7731", "90"]  # check digit and trailing zeros
    assert query.filters.buyer is None and query.text == ""
    assert to_query_string(query) == "dep=59&dep=62&dep=05&cpv=7731&cpv=90"


def test_words_flags_and_amounts_in_french_spellings() -> None:
    query = parse_query(
        {
            "reserved": ["oui"],
            "social_clause": ["0"],
            "amount_min": ["10 000 €"],
            "sort": ["-deadline"],
        }
    )
    assert query.filters.reserved is True and query.filters.social_clause is False
    assert query.filters.amount_min == 10_000
    assert query.sort == Sort(key=SortKey.DEADLINE, descending=True)
    assert to_query_string(query) == (
        "reserved=true&social_clause=false&amount_min=10000&sort=-deadline"
    )


def test_updated_since_reads_instants_and_days() -> None:
    utc = parse_query({"updated_since": ["2026-11-20T10:00:00Z"]}).filters.updated_since
    assert utc == datetime(2026, 11, 20, 10, tzinfo=UTC)
    naive = parse_query({"updated_since": ["2026-11-20T10:00:00"]}).filters.updated_since
    assert naive == utc
    day = parse_query({"updated_since": ["2026-11-20"]}).filters.updated_since
    assert day == datetime(2026, 11, 19, 23, tzinfo=UTC)  # midnight in Paris


@pytest.mark.parametrize(
    ("params", "name", "message"),
    [
        ({"dep": ["999"]}, "dep", "Paramètre dep : « 999 » n'est pas un code de département."),
        ({"dep": ["59", "20"]}, "dep", "Paramètre dep : « 20 » n'est pas un code de département."),
        ({"cpv": ["9x"]}, "cpv", "Paramètre cpv : « 9x » n'est pas un code CPV (2 à 8 chiffres)."),
        (
            {"buyer_area": ["200067846"]},  # not an EPCI à fiscalité propre in the 2026 data
            "buyer_area",
            "Paramètre buyer_area : « 200067846 » n'est ni un SIREN d'EPCI ni un code INSEE "
            "de commune.",
        ),
        ({"cpv": ["7"]}, "cpv", "« 7 » n'est pas un code CPV"),
        ({"mode": ["fuzzy"]}, "mode", "« fuzzy » n'est pas un mode de recherche"),
        ({"kind": ["contract"]}, "kind", "« contract » n'est pas un type d'avis."),
        ({"source": ["bo amp"]}, "source", "« bo amp » n'est pas un nom de source."),
        ({"status": ["draft"]}, "status", "« draft » n'est pas un statut d'avis."),
        ({"reserved": ["maybe"]}, "reserved", "« maybe » n'est ni true ni false."),
        ({"social_clause": ["2"]}, "social_clause", "« 2 » n'est ni true ni false."),
        ({"buyer": ["x" * 201]}, "buyer", "dépasse 200 caractères."),
        ({"q": ["a", "b"]}, "q", "Paramètre q : une seule valeur attendue, 2 reçues."),
        ({"amount_min": ["beaucoup"]}, "amount_min", "« beaucoup » n'est pas un montant en euros."),
        ({"amount_max": ["-5"]}, "amount_max", "« -5 » n'est pas un montant en euros."),
        (
            {"amount_min": ["500"], "amount_max": ["100"]},
            "amount_max",
            "Paramètre amount_max : doit être supérieur ou égal à amount_min.",
        ),
        ({"deadline_from": ["31/12/2026"]}, "deadline_from", "n'est pas une date (AAAA-MM-JJ)."),
        ({"deadline_to": ["2026-02-30"]}, "deadline_to", "« 2026-02-30 » n'est pas une date"),
        (
            {"deadline_from": ["2026-12-31"], "deadline_to": ["2026-12-01"]},
            "deadline_to",
            "Paramètre deadline_to : doit être postérieur ou égal à deadline_from.",
        ),
        ({"published_from": ["hier"]}, "published_from", "« hier » n'est pas une date"),
        (
            {"published_from": ["2026-12-31"], "published_to": ["2026-12-01"]},
            "published_to",
            "doit être postérieur ou égal à published_from.",
        ),
        ({"published_days": ["0"]}, "published_days", "« 0 » doit être compris entre 1 et 3660."),
        ({"published_days": ["sept"]}, "published_days", "« sept » n'est pas un nombre entier."),
        ({"audience": ["a b"]}, "audience", "« a b » n'est pas un public."),
        ({"updated_since": ["hier"]}, "updated_since", "« hier » n'est pas un instant ISO 8601"),
        ({"sort": ["best"]}, "sort", "« best » n'est pas un tri (relevance, deadline"),
        ({"sort": ["-relevance"]}, "sort", "« -relevance » n'est pas un tri"),
        ({"page": ["0"]}, "page", "Paramètre page : « 0 » doit être compris entre 1 et 10000."),
        ({"page": ["deux"]}, "page", "« deux » n'est pas un nombre entier."),
        ({"page": ["200"], "per_page": ["100"]}, "page", "dépasse les 10\u202f000 premiers"),
        ({"per_page": ["500"]}, "per_page", "« 500 » doit être compris entre 1 et 100."),
    ],
)
def test_every_bad_parameter_is_named_in_french(
    params: dict[str, list[str]], name: str, message: str
) -> None:
    with pytest.raises(SearchParamsError) as caught:
        parse_query(params)
    assert isinstance(caught.value, ValidationError)
    assert list(caught.value.problems) == [name]
    assert message in str(caught.value)


def test_all_problems_are_reported_at_once_and_strict_refuses_unknown_names() -> None:
    with pytest.raises(SearchParamsError) as caught:
        parse_query({"dep": ["999"], "sort": ["best"], "deps": ["59"]}, strict=True)
    assert set(caught.value.problems) == {"dep", "sort", "deps"}
    assert caught.value.problems["deps"] == "Paramètre inconnu : deps."
    assert parse_query({"deps": ["59"], "format": ["csv"]}) == SearchQuery()  # lenient default


def test_describe_filters_in_french() -> None:
    lines = describe_filters(FULL)
    assert lines[0] == "Mots : « espaces verts » (mots exacts)"
    assert "Types : Appel d'offres, Appel à projets" in lines
    assert "Sources : BOAMP, aides-territoires" in lines
    assert "Départements : 59 – Nord, 62 – Pas-de-Calais" in lines
    cpv = next(line for line in lines if line.startswith("CPV : "))
    assert cpv.startswith("CPV : 90 – Services d'évacuation des eaux usées")
    assert cpv.endswith(" ; 7731 – Réalisation et entretien d'espaces verts")
    assert "Marché réservé : oui" in lines and "Clause sociale : non" in lines
    assert "Statut : ouvert" in lines
    assert "Acheteur ou financeur contenant : « Ville de Lille »" in lines
    assert "Montant estimé : entre 10\u00a0000\u00a0€ et 50\u00a0000\u00a0€" in lines
    assert "Date limite : du 1er décembre 2026 au 31 décembre 2026" in lines
    assert "Publié : dans les 7 derniers jours" in lines
    assert "Publication : du 1er novembre 2026 au 30 novembre 2026" in lines
    assert "Public : associations" in lines
    assert "Nouveau ou modifié depuis le 20 novembre 2026 à 11\u00a0h\u00a000" in lines
    assert describe_sort(FULL) == "Tri : publication la plus récente"
    assert describe_filters(SearchQuery()) == []
    assert describe_sort(SearchQuery()) == "Tri : date limite la plus proche"
    one = describe_filters(parse_query({"dep": ["59"], "amount_min": ["5000"]}))
    assert one == ["Département : 59 – Nord", "Montant estimé : au moins 5\u00a0000\u00a0€"]


def test_search_page_url_keeps_the_view_not_the_page() -> None:
    url = search_page_url("https://veille.example.org/", FULL)
    assert url.startswith("https://veille.example.org/recherche?q=espaces+verts&mode=text")
    assert "page=" not in url and "per_page" not in url
    assert search_page_url("http://127.0.0.1:8000", SearchQuery()) == (
        "http://127.0.0.1:8000/recherche"
    )
