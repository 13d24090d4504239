"""French rendering of a digest (subject, HTML, text) on constructed notices and actors.

All data here is invented for the tests; no real digest or match sample exists.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from veilleuse.core.models import (
    Actor,
    Buyer,
    Contact,
    EssFamily,
    Evidence,
    GroupedBidSuggestion,
    Lot,
    LotAssignment,
    Match,
    Money,
    Notice,
    NoticeKind,
    Places,
    Reason,
    ReservedKind,
)
from veilleuse.digests.compose import Digest, compose_digest
from veilleuse.digests.render import (
    DigestLinks,
    LineLinks,
    days_left_fr,
    format_amount_fr,
    format_date_fr,
    format_deadline_fr,
    lot_label,
    render_digest,
)

NB = "\u00a0"
PARIS_WINTER = timezone(timedelta(hours=1))
TODAY = date(2026, 11, 23)
ACTOR = Actor(
    id="regie-nord",
    name="Régie de quartier Nord",
    family=EssFamily.SIAE_ACI,
    contacts=[Contact(email="contact@regie-nord.example")],
)
NAMES = {
    "regie-nord": "Régie de quartier Nord",
    "esat-loire": "ESAT de la Loire",
    "scop-vitres": "SCOP Vitres & Façades",
}


def reasons(*texts: str) -> list[Reason]:
    """Reasons as stored before they were data (their sentence in `text`): still shown."""
    return [Reason(code=f"r{i}", text=t, weight=10 - i) for i, t in enumerate(texts)]


def cleaning_tender() -> Notice:
    """Three lots; the actor matches lots 2 and 3; lot 2 reserved for insertion."""
    return Notice(
        uid="boamp:26-123456",
        source="boamp",
        native_id="26-123456",
        kind=NoticeKind.TENDER,
        title="Nettoyage et entretien des bâtiments communaux",
        url="https://www.boamp.fr/pages/avis/?q=idweb:26-123456",
        buyer=Buyer(name="Ville de Nantes", city="Nantes", department="44"),
        deadline=datetime(2026, 12, 12, 12, 0, tzinfo=PARIS_WINTER),
        places=Places(departments=["44"]),
        social_clause=True,
        lots=[
            Lot(id="1", title="Espaces verts", estimated_value=Money(amount=90_000)),
            Lot(
                id="2",
                title="Nettoyage des locaux",
                estimated_value=Money(amount=250_000),
                reserved=True,
                reserved_kinds=[ReservedKind.INSERTION],
            ),
            Lot(id="3", title="Vitrerie", estimated_value=Money(amount=1_000_000)),
        ],
    )


def funding_call() -> Notice:
    return Notice(
        uid="aides_territoires:148000",
        source="aides_territoires",
        native_id="148000",
        kind=NoticeKind.FUNDING_CALL,
        title="Appel à projets « Tiers-lieux solidaires » 2027",
        url="https://aides-territoires.beta.gouv.fr/aides/148000/",
        buyer=Buyer(name="Région Pays de la Loire"),
        deadline=date(2026, 12, 1),
    )


def hostile_notice() -> Notice:
    return Notice(
        uid="ted:700001-2026",
        source="ted",
        native_id="700001-2026",
        kind=NoticeKind.PIN,
        title="Restauration <script>alert('x')</script> & traiteur",
        url="javascript:alert(1)",
        buyer=Buyer(name='Syndicat "mixte" <b>Loire</b>'),
        places=Places(departments=["44", "49"]),
        reserved=True,
        reserved_kinds=[ReservedKind.SHELTERED_WORKSHOP, ReservedKind.ESS],
        evidence=Evidence(reserved=["art. L2113-12"]),
    )


def assigned(
    lot_id: str, actor_id: str, fit: float, activity: str | None, department: str, **more: object
) -> LotAssignment:
    """An assignment as `matching.consortia` stores it: why as a code and its parameters."""
    params = {
        "actor_id": actor_id,
        "name": NAMES[actor_id],
        "activity": activity,
        "fit": fit,
        "place": {"department": department, "commune": None},
        "reinforcement": False,
        **more,
    }
    why = Reason(code="assignment", params=params, weight=round(100 * fit, 1))
    return LotAssignment(lot_id=lot_id, actor_id=actor_id, fit=round(fit, 3), why=why)


def team() -> GroupedBidSuggestion:
    return GroupedBidSuggestion(
        notice_uid="boamp:26-123456",
        members=["regie-nord", "esat-loire", "scop-vitres"],
        lead="esat-loire",
        assignments=[
            assigned("1", "esat-loire", 0.9, "entretien d'espaces verts", "44"),
            assigned("2", "regie-nord", 0.8049, "nettoyage de locaux", "44"),
            assigned("3", "scop-vitres", 0.7, None, "49"),
        ],
        coverage=1.0,
        score=82,
    )


def sample_digest(degraded: list[str] | None = None) -> Digest:
    matches = [
        Match(
            actor_id="regie-nord",
            notice_uid="boamp:26-123456",
            score=82.4,
            lot_ids=["2", "3"],
            reasons=reasons(
                "Lot 2 réservé aux structures d'insertion : vous êtes un ACI",
                "Activité proche : nettoyage de locaux",
                "Dans votre territoire (44)",
                "Montant compatible avec votre chiffre d'affaires",
            ),
        ),
        Match(
            actor_id="regie-nord",
            notice_uid="aides_territoires:148000",
            score=64,
            reasons=reasons("Public visé : associations"),
        ),
        Match(actor_id="regie-nord", notice_uid="ted:700001-2026", score=40),
    ]
    notices = {n.uid: n for n in (cleaning_tender(), funding_call(), hostile_notice())}
    return compose_digest(
        ACTOR,
        matches,
        notices,
        {"boamp:26-123456": team()},
        NAMES,
        set(),
        period_start=date(2026, 11, 16),
        period_end=TODAY,
        degraded_sources=degraded if degraded is not None else ["boamp", "ted_eforms"],
        territory_name="Nantes Métropole",
        today=TODAY,
    )


def test_french_formatting_helpers() -> None:
    assert format_date_fr(date(2026, 12, 1)) == "1er décembre 2026"
    assert format_date_fr(date(2026, 8, 15)) == "15 août 2026"
    assert format_amount_fr(1_250_000) == f"1{NB}250{NB}000{NB}€"
    assert format_amount_fr(999.6) == f"1{NB}000{NB}€"
    assert format_amount_fr(12_000, "CHF") == f"12{NB}000{NB}CHF"
    summer = datetime(2026, 7, 3, 8, 5, tzinfo=UTC)  # 10 h 05 in Paris (UTC+2)
    assert format_deadline_fr(summer) == f"avant le 3 juillet 2026 à 10{NB}h{NB}05"
    assert format_deadline_fr(date(2026, 12, 1)) == "au plus tard le 1er décembre 2026"
    assert format_deadline_fr(None) == "date limite non précisée"
    assert days_left_fr(date(2026, 11, 23), TODAY) == "dernier jour"
    assert days_left_fr(date(2026, 11, 24), TODAY) == "1 jour restant"
    late = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # already the 25th in Paris
    assert days_left_fr(late, TODAY) == "2 jours restants"
    assert days_left_fr(None, TODAY) is None
    assert [lot_label(i) for i in ("LOT-0002", "lot 3", "12", "A")] == ["2", "3", "12", "A"]


def test_subject() -> None:
    rendered = render_digest(sample_digest())
    assert rendered.subject == (
        "Veilleuse — 3 opportunités pour Régie de quartier Nord (semaine du 23 novembre 2026)"
    )
    empty = sample_digest()
    empty.lines = empty.lines[:1]
    assert render_digest(empty).subject.startswith("Veilleuse — 1 opportunité pour ")
    empty.lines = []
    assert render_digest(empty).subject == (
        "Veilleuse — aucune nouvelle opportunité pour Régie de quartier Nord"
        " (semaine du 23 novembre 2026)"
    )


def test_html_content_in_french() -> None:
    html = render_digest(sample_digest()).html
    assert '<html lang="fr">' in html
    assert "max-width:600px" in html
    assert "<style" not in html  # inline CSS only
    assert (
        '<a href="https://www.boamp.fr/pages/avis/?q=idweb:26-123456" '
        'style="color:#0b57d0;text-decoration:underline;">'
        "Nettoyage et entretien des bâtiments communaux</a>"
    ) in html
    assert "<strong>Acheteur :</strong> Ville de Nantes" in html
    assert "<strong>Financeur :</strong> Région Pays de la Loire" in html
    assert "<strong>Lieu :</strong> Loire-Atlantique (44)" in html
    assert f"avant le 12 décembre 2026 à 12{NB}h{NB}00" in html
    assert "(19 jours restants)" in html
    assert "au plus tard le 1er décembre 2026" in html
    assert "(8 jours restants)" in html
    assert "date limite non précisée" in html
    # lots 2 and 3 on one line, their values summed
    assert "<strong>Lots 2 et 3 :</strong> Nettoyage des locaux ; Vitrerie" in html
    assert f"<strong>Montant estimé :</strong> 1{NB}250{NB}000{NB}€" in html
    assert ">Marché réservé (insertion)</span>" in html
    assert ">Clause sociale</span>" in html
    assert ">Appel d&#39;offres</span>" in html
    assert ">Appel à projets</span>" in html
    assert ">Avis de pré-information</span>" in html
    assert ">Marché réservé (ESAT/EA, ESS)</span>" in html
    assert "Groupement suggéré : ESAT de la Loire (mandataire, lot 1), vous (lot 2)" in html
    assert "SCOP Vitres &amp; Façades (lot 3) — seul·e, vous couvririez 2 lots sur 3" in html
    assert "Sources incomplètes cette semaine : BOAMP et TED." in html
    assert "Pertinence : 82/100" in html


def test_why_each_member_takes_its_lot_is_worded_from_its_reason() -> None:
    rendered = render_digest(sample_digest())
    html, text = rendered.html, rendered.text
    assert (
        '<li style="margin:0 0 2px 0;">Lot 1 — ESAT de la Loire : « entretien d&#39;espaces '
        "verts », adéquation 90 %, Loire-Atlantique</li>" in html
    )
    assert (
        ">Lot 2 — Régie de quartier Nord : « nettoyage de locaux », adéquation 80 %, "
        "Loire-Atlantique</li>" in html
    )
    assert ">Lot 3 — SCOP Vitres &amp; Façades : adéquation 70 %, Maine-et-Loire</li>" in html
    assert "     - Lot 1 — ESAT de la Loire : « entretien d'espaces verts »,\n" in text
    assert "       adéquation 90 %, Loire-Atlantique\n" in text
    assert "     - Lot 3 — SCOP Vitres & Façades : adéquation 70 %, Maine-et-Loire\n" in text
    assert all(len(line) <= 72 or "https://" in line for line in text.splitlines())


def test_team_details_of_work_units_reinforcements_and_old_prose() -> None:
    digest = sample_digest()
    line = digest.lines[0]
    assert line.team is not None
    reinforcement = assigned("2", "scop-vitres", 0.5, None, "49", reinforcement=True)
    unit = assigned("cpv-90911200", "esat-loire", 0.6, None, "44")  # a CPV work unit, not a lot
    old = LotAssignment(lot_id="3", actor_id="scop-vitres", fit=0.7, why="vitrerie (ancien)")
    empty = LotAssignment(lot_id="1", actor_id="esat-loire", fit=0.9, why="")
    line.team = line.team.model_copy(update={"assignments": [reinforcement, unit, old, empty]})
    html = render_digest(digest).html
    assert (
        ">Lot 2 — SCOP Vitres &amp; Façades : adéquation 50 %, Maine-et-Loire — en renfort : "
        "le montant estimé dépasse la capacité d&#39;un seul membre</li>" in html
    )
    assert ">ESAT de la Loire : adéquation 60 %, Loire-Atlantique</li>" in html
    assert ">Lot 3 — vitrerie (ancien)</li>" in html  # prose stored by an older version
    assert ">Lot 1 — " not in html  # an old empty explanation gives no line
    line.team = line.team.model_copy(update={"assignments": [empty]})
    assert "padding-left:20px;font-size:14px;" not in render_digest(digest).html


def test_top_three_reasons_only() -> None:
    rendered = render_digest(sample_digest())
    for text in (rendered.html, rendered.text):
        assert "Lot 2 réservé aux structures d" in text
        assert "Dans votre territoire (44)" in text
        assert "Montant compatible" not in text


def test_reasons_stored_as_data_are_worded_at_display_time() -> None:
    digest = sample_digest()
    line = digest.lines[0]
    line.match = line.match.model_copy(
        update={
            "reasons": [
                Reason(code="reserved", params={"case": "eligible", "kind": "insertion"}, weight=9),
                Reason(code="not-yet-known", params={"x": 1}, weight=8),  # skipped, not blank
                Reason(
                    code="lot",
                    params={"activity": None, "lots": [{"id": "2", "title": "Vitres & portes"}]},
                    weight=7,
                ),
                Reason(code="territory", params={"case": "department", "department": "44"}),
                Reason(code="deadline", params={"deadline": "2026-12-12T11:00:00+00:00"}),
            ]
        }
    )
    rendered = render_digest(digest)
    assert (
        '<li style="margin:0 0 2px 0;">Marché réservé aux structures d&#39;insertion par '
        "l&#39;activité économique : vous êtes éligible</li>"
    ) in rendered.html
    assert "Vos activités correspondent au lot 2 « Vitres &amp; portes »" in rendered.html
    assert "   - Vos activités correspondent au lot 2 « Vitres & portes »\n" in rendered.text
    for body in (rendered.html, rendered.text):
        assert "Dans votre département (Loire-Atlantique)" in body
        assert "Date limite : 12 décembre" not in body  # fourth: only three are shown


def test_untrusted_notice_text_is_escaped() -> None:
    html = render_digest(sample_digest()).html
    assert "<script>" not in html
    assert "Restauration &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; traiteur" in html
    assert "Syndicat &#34;mixte&#34; &lt;b&gt;Loire&lt;/b&gt;" in html
    assert "javascript:" not in html  # a non-http link is dropped, the title stays as text
    assert "<strong>Lieu :</strong> Loire-Atlantique (44) et Maine-et-Loire (49)" in html


def test_actor_and_territory_are_escaped_in_shared_sentences() -> None:
    digest = sample_digest()
    digest.actor = digest.actor.model_copy(update={"name": "<b>Régie</b> & co"})
    digest.territory_name = "<i>Nantes</i>"
    rendered = render_digest(digest)
    assert "<b>" not in rendered.html and "<i>" not in rendered.html
    assert "repérées pour &lt;b&gt;Régie&lt;/b&gt; &amp; co entre le" in rendered.html
    assert "l'ESS — &lt;i&gt;Nantes&lt;/i&gt;." in rendered.html
    assert "repérées pour <b>Régie</b> & co entre" in rendered.text
    assert "Veilleuse — 3 opportunités pour <b>Régie</b> & co (semaine" in rendered.subject


def test_lots_without_titles_and_team_without_lot_count() -> None:
    digest = sample_digest()
    line = digest.lines[0]
    line.lots = [lot.model_copy(update={"title": None}) for lot in line.lots]
    line.notice = line.notice.model_copy(update={"lots": line.lots})  # only the 2 matching lots
    rendered = render_digest(digest)
    assert "<strong>Lots 2 et 3</strong></p>" in rendered.html
    assert "   Lots 2 et 3\n" in rendered.text
    assert "seul·e, vous couvririez 2 lots sur 2" in rendered.html


def test_place_names_and_unknown_codes() -> None:
    digest = sample_digest()
    line = digest.lines[1]
    line.notice = line.notice.model_copy(update={"places": Places(departments=["2A", "999"])})
    rendered = render_digest(digest)
    assert "<strong>Lieu :</strong> Corse-du-Sud (2A) et département 999" in rendered.html
    assert "   Lieu : Corse-du-Sud (2A) et département 999\n" in rendered.text


def test_degraded_banner_only_when_a_source_failed() -> None:
    rendered = render_digest(sample_digest(degraded=[]))
    assert "Sources incomplètes" not in rendered.html
    assert "Sources incomplètes" not in rendered.text


def links_for(digest: Digest) -> DigestLinks:
    """Links as `app.digest_links` makes them (tokens invented here)."""
    base = "https://veille.example/lien/"
    return DigestLinks(
        preferences=base + "PREF",
        unsubscribe=base + "STOP",
        lines={
            line.notice.uid: LineLinks(
                interested=f"{base}OUI-{i}",
                not_for_us=f"{base}NON-{i}",
                partners=f"{base}PART-{i}",
            )
            for i, line in enumerate(digest.lines, 1)
        },
    )


def test_footer_links() -> None:
    plain = render_digest(sample_digest())
    assert "inscrit·e à la veille économique de l'ESS — Nantes Métropole" in plain.html
    assert "inscrit·e à la veille économique de l'ESS — Nantes Métropole" in " ".join(
        plain.text.split()
    )
    assert "répondez simplement à ce courriel" in plain.html
    assert "répondez simplement à ce courriel" in " ".join(plain.text.split())
    digest = sample_digest()
    linked = render_digest(digest, links=links_for(digest))
    assert '<a href="https://veille.example/lien/PREF" ' in linked.html
    assert ">Mes préférences</a>" in linked.html
    assert '<a href="https://veille.example/lien/STOP" ' in linked.html
    assert ">Me désabonner</a>" in linked.html
    assert "Mes préférences : https://veille.example/lien/PREF\n" in linked.text
    assert "Me désabonner : https://veille.example/lien/STOP\n" in linked.text
    for body in (linked.html, " ".join(linked.text.split())):
        assert "Ces liens agissent pour Régie de quartier Nord sans mot de passe" in body
        assert "répondez simplement" not in body


def test_every_line_carries_its_three_links() -> None:
    digest = sample_digest()
    rendered = render_digest(digest, links=links_for(digest))
    html, text = rendered.html, rendered.text
    for i in (1, 2, 3):
        assert f'<a href="https://veille.example/lien/OUI-{i}" ' in html
        assert f'<a href="https://veille.example/lien/NON-{i}" ' in html
        assert f'<a href="https://veille.example/lien/PART-{i}" ' in html
        assert f"   Ça nous intéresse : https://veille.example/lien/OUI-{i}\n" in text
        assert f"   Pas pour nous : https://veille.example/lien/NON-{i}\n" in text
        assert f"   Chercher des partenaires : https://veille.example/lien/PART-{i}\n" in text
    assert html.count(">Ça nous intéresse</a>") == 3
    assert html.count(">Pas pour nous</a>") == 3
    assert html.count(">Chercher des partenaires</a>") == 3
    # each line's links follow its own « Voir l'avis », before the next line starts
    first = text.index("1. Nettoyage")
    second = text.index("2. Appel à projets")
    assert first < text.index("OUI-1") < second < text.index("OUI-2")
    assert all(len(line) <= 72 or "https://" in line for line in text.splitlines())


def test_no_line_links_without_them_or_with_a_non_http_one() -> None:
    digest = sample_digest()
    assert "Ça nous intéresse" not in render_digest(digest).html
    links = links_for(digest)
    uid = digest.lines[0].notice.uid
    broken = dict(links.lines)
    broken[uid] = LineLinks("javascript:alert(1)", "https://x.example/a", "https://x.example/b")
    html = render_digest(
        digest, links=DigestLinks("https://x.example/p", "https://x.example/s", broken)
    ).html
    assert "javascript:" not in html
    assert html.count(">Ça nous intéresse</a>") == 2  # the two other lines keep theirs


def test_text_version_reads_as_plain_text() -> None:
    text = render_digest(sample_digest()).text
    assert all(len(line) <= 72 or "https://" in line for line in text.splitlines())
    assert "&#39;" not in text and "&amp;" not in text and "&lt;" not in text
    assert "1. Nettoyage et entretien des bâtiments communaux\n" in text
    assert "   [Appel d'offres] [Marché réservé (insertion)] [Clause sociale]\n" in text
    assert "   Acheteur : Ville de Nantes\n" in text
    assert (
        f"   Date limite : avant le 12 décembre 2026 à 12{NB}h{NB}00 (19 jours restants)\n" in text
    )
    assert f"   Montant estimé : 1{NB}250{NB}000{NB}€\n" in text
    assert "   Lots 2 et 3 : Nettoyage des locaux ; Vitrerie\n" in text
    assert "   - Activité proche : nettoyage de locaux\n" in text
    assert "   Groupement suggéré : ESAT de la Loire (mandataire, lot 1), vous (lot\n" in text
    assert "   Voir l'avis : https://www.boamp.fr/pages/avis/?q=idweb:26-123456\n" in text
    assert "2. Appel à projets « Tiers-lieux solidaires » 2027\n" in text
    assert "   Financeur : Région Pays de la Loire\n" in text
    assert "3. Restauration <script>alert('x')</script> & traiteur\n" in text
    assert "Voir l'avis : javascript" not in text
    assert "/!\\ Sources incomplètes cette semaine : BOAMP et TED." in text
    assert "\n\n\n" not in text
