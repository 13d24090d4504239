"""The block pass's slot ceiling for a multi-lot notice bounds every slot its lots can give."""

from __future__ import annotations

import itertools
import math

from test_matching import actor, notice

from veilleuse.core.models import EssFamily, Lot, NoticeKind, ReservedKind
from veilleuse.matching.lots import LotFit
from veilleuse.matching.pairs import _slot
from veilleuse.matching.slots import lot_slot_ceiling

LOT_SHAPES: list[tuple[bool | None, list[ReservedKind]]] = [
    (None, []),
    (True, []),
    (True, [ReservedKind.SHELTERED_WORKSHOP]),
    (True, [ReservedKind.INSERTION]),
    (True, [ReservedKind.ESS]),
    (None, [ReservedKind.PUBLIC_SERVICE_MISSION]),
]


def _fit(lot: Lot) -> LotFit:
    return LotFit(lot, 0.5, 0.5, 0.0, 1.0, 0.5, 0.5)


def test_no_set_of_chosen_lots_beats_the_ceiling_of_its_family() -> None:
    checked = 0
    for shapes in itertools.combinations_with_replacement(LOT_SHAPES, 2):
        lots = [
            Lot(id=str(i), title=f"Lot {i}", reserved=r, reserved_kinds=k)
            for i, (r, k) in enumerate(shapes)
        ]
        for reserved, kinds, clause in itertools.product(
            [None, True], [[], [ReservedKind.INSERTION]], [None, True]
        ):
            n = notice(
                "boamp:9", "Travaux", [], ["59"], lots=lots, reserved=reserved,
                reserved_kinds=kinds, social_clause=clause,
            )  # fmt: skip
            for family in EssFamily:
                a = actor("a", family, "Travaux", [], ["59"])
                ceiling = lot_slot_ceiling(a, n)
                for size in (1, 2):
                    for chosen in itertools.combinations(lots, size):
                        value = _slot(a, n, [_fit(lot) for lot in chosen], 1.0)[1]
                        checked += 1
                        if value is not None:
                            assert not math.isnan(ceiling)
                            assert value <= ceiling, (family, shapes, reserved, kinds, clause)
    assert checked > 1000


def test_a_funding_call_whose_audiences_leave_the_family_out_has_no_ceiling() -> None:
    lots = [Lot(id="1", title="Volet 1"), Lot(id="2", title="Volet 2")]
    call = notice(
        "aides:1", "Appel à projets", [], ["59"], kind=NoticeKind.FUNDING_CALL, lots=lots,
        audiences=["entreprises"],
    )  # fmt: skip
    assert math.isnan(lot_slot_ceiling(actor("a", EssFamily.ASSOCIATION, "x", [], ["59"]), call))
    assert lot_slot_ceiling(actor("s", EssFamily.SCOP, "x", [], ["59"]), call) == 1.0
