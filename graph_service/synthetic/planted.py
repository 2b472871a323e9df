"""Cases planted in block 0 of the synthetic data, each with the answer the tests assert.

All planted organisations are in Qingfeng county (410922), the county of the 2017 seed.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from graph_service.model import RoleType
from graph_service.synthetic import vocabulary as v
from graph_service.synthetic.generator import ResponsibleAt

if TYPE_CHECKING:
    from graph_service.synthetic.generator import Batch, Generator

QINGFENG = "410922"
COURT, TAX, SAFETY, ENVIRONMENT, _FOOD, _MARKET, LABOUR, _BIDDING = v.BLACK_LISTS


def plant_cases(gen: Generator, batch: Batch) -> None:
    cases = gen.answers.cases
    answer = gen.answers.responsible_at

    # 1. The legal representative changed between the conduct and the listing: the court's list
    #    targets the current one, a rule keyed on conduct date targets the former one.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2015, 3, 1), name="清丰县顺达建筑工程有限公司"
    )
    former, current = gen.new_person(batch, "张建国"), gen.new_person(batch, "李志强")
    change = date(2021, 7, 1)
    gen.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, former, e, date(2015, 3, 1), change)
    gen.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, current, e, change)
    gen.role(batch, RoleType.SHAREHOLDER_OF, former, e, date(2015, 3, 1), ratio=0.6, subscribed_capital=300.0)
    # An investor the court's list does not cover: for him the listing is associated risk, not a measure.
    investor = gen.new_person(batch, "孙立新")
    gen.role(
        batch, RoleType.SHAREHOLDER_OF, investor, e, date(2015, 3, 1), ratio=0.4, subscribed_capital=200.0
    )
    court = gen.entry(
        batch, COURT, e, date(2022, 3, 15), conduct_date=date(2020, 11, 10), expires_on=date(2027, 3, 15),
        named=((current, "法定代表人"),),
    )  # fmt: skip
    for day, holder in (
        (date(2020, 11, 10), former),
        (date(2021, 6, 30), former),
        (change, current),
        (date(2026, 6, 30), current),
    ):
        answer.append(
            ResponsibleAt(
                uscc=e.uscc, as_of=day, role=RoleType.LEGAL_REPRESENTATIVE_OF, holders=[holder.person_key]
            )
        )
    answer.append(
        ResponsibleAt(uscc=e.uscc, as_of=date(2014, 1, 1), role=RoleType.LEGAL_REPRESENTATIVE_OF, holders=[])
    )
    cases["legal_rep_change"] = {
        "uscc": e.uscc,
        "entry_id": court.entry_id,
        "former_legal_rep": former.person_key,
        "current_legal_rep": current.person_key,
        "change_date": change.isoformat(),
        "shareholder": investor.person_key,
        # The court's list reaches the current legal representative for the consumption restrictions
        # (and the one its decision names), and the one in post at the conduct date for the personal
        # credit record (濮政〔2017〕37号 item 6).
        "covered": sorted([current.person_key, former.person_key]),
        "consumption_restricted": [current.person_key],
    }

    # 2. A tax listing reaches the finance head, not the other managers.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2016, 5, 20), name="清丰县鑫源商贸有限公司"
    )
    legal, finance, manager = gen.new_person(batch), gen.new_person(batch, "王丽娟"), gen.new_person(batch)
    gen.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, legal, e, date(2016, 5, 20))
    gen.role(batch, RoleType.SENIOR_MANAGER_OF, finance, e, date(2018, 1, 1), position=v.FINANCE_HEAD)
    gen.role(batch, RoleType.SENIOR_MANAGER_OF, manager, e, date(2016, 5, 20), position="经理")
    tax = gen.entry(
        batch, TAX, e, date(2024, 9, 1), conduct_date=date(2023, 12, 1), expires_on=date(2027, 9, 1)
    )
    answer.append(
        ResponsibleAt(
            uscc=e.uscc,
            as_of=date(2023, 12, 1),
            role=RoleType.SENIOR_MANAGER_OF,
            holders=sorted([finance.person_key, manager.person_key]),
        )
    )
    answer.append(
        ResponsibleAt(
            uscc=e.uscc, as_of=date(2017, 6, 1), role=RoleType.SENIOR_MANAGER_OF, holders=[manager.person_key]
        )
    )
    cases["finance_head"] = {
        "uscc": e.uscc,
        "entry_id": tax.entry_id,
        "legal_rep": legal.person_key,
        "finance_head": finance.person_key,
        "manager": manager.person_key,
        "covered": sorted([legal.person_key, finance.person_key]),
    }

    # 3. One enterprise on two domains' blacklists at once (tax and environment).
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2012, 8, 8), name="清丰县宏远化工有限公司"
    )
    legal = gen.populate_minimal(batch, e)
    first = gen.entry(
        batch, TAX, e, date(2023, 5, 10), conduct_date=date(2022, 10, 1), expires_on=date(2028, 5, 10)
    )
    second = gen.entry(
        batch, ENVIRONMENT, e, date(2024, 2, 1), conduct_date=date(2023, 11, 2), expires_on=date(2027, 2, 1)
    )
    cases["multi_listed_enterprise"] = {
        "uscc": e.uscc, "legal_rep": legal.person_key, "entry_ids": [first.entry_id, second.entry_id],
        "domains": ["environment", "tax"],
    }  # fmt: skip

    # 4. A person not listed himself who leads two enterprises listed in different domains.
    leader = gen.new_person(batch, "赵永利")
    x = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2010, 4, 1), name="清丰县永盛物流有限公司"
    )
    y = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2013, 9, 9), name="清丰县永盛劳务有限公司"
    )
    gen.populate_minimal(batch, x, leader)
    gen.populate_minimal(batch, y, leader)
    ex = gen.entry(
        batch, COURT, x, date(2023, 1, 5), conduct_date=date(2022, 6, 1), expires_on=date(2028, 1, 5)
    )
    ey = gen.entry(
        batch, SAFETY, y, date(2024, 4, 1), conduct_date=date(2024, 1, 20), expires_on=date(2027, 4, 1)
    )
    cases["multi_listed_via_organisations"] = {
        "person": leader.person_key, "enterprises": [x.uscc, y.uscc], "entry_ids": [ex.entry_id, ey.entry_id],
        "domains": ["court", "safety"],
    }  # fmt: skip

    # 5. Two entries in the same domain do not make a subject multi-listed.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2011, 1, 1), name="清丰县恒信商贸有限公司"
    )
    gen.populate_minimal(batch, e)
    a = gen.entry(
        batch, COURT, e, date(2023, 3, 1), conduct_date=date(2022, 9, 1), expires_on=date(2028, 3, 1)
    )
    b = gen.entry(
        batch, COURT, e, date(2024, 3, 1), conduct_date=date(2023, 9, 1), expires_on=date(2029, 3, 1)
    )
    cases["same_domain_twice"] = {"uscc": e.uscc, "entry_ids": [a.entry_id, b.entry_id]}

    # 6. An expired listing stops counting: expired tax entry plus an active environment one.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2009, 6, 1), name="清丰县天成化工有限公司"
    )
    gen.populate_minimal(batch, e)
    old = gen.entry(
        batch, TAX, e, date(2020, 1, 1), conduct_date=date(2019, 5, 1), expires_on=date(2023, 1, 1)
    )
    live = gen.entry(
        batch, ENVIRONMENT, e, date(2025, 1, 1), conduct_date=date(2024, 8, 1), expires_on=date(2028, 1, 1)
    )
    cases["expired_entry"] = {
        "uscc": e.uscc, "expired_entry_id": old.entry_id, "active_entry_id": live.entry_id,
        "multi_listed_before": "2022-12-31",
    }  # fmt: skip

    # 7. The decision names a directly responsible person who holds no registered role.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2014, 2, 2), name="清丰县安澜机械制造有限公司"
    )
    gen.populate_minimal(batch, e)
    foreman = gen.new_person(batch, "孙海波")
    w = gen.entry(
        batch, SAFETY, e, date(2024, 6, 1), conduct_date=date(2024, 3, 3), expires_on=date(2027, 6, 1),
        named=((foreman, "安全生产直接责任人员"),),
    )  # fmt: skip
    cases["named_responsible"] = {
        "uscc": e.uscc,
        "entry_id": w.entry_id,
        "person": foreman.person_key,
        "covered": sorted(
            [foreman.person_key, *(r.holder_key for r in batch.roles if r.enterprise == e.uscc)]
        ),
    }

    # 8. An ownership chain: Q holds 90% of H1, H1 80% of H2, H2 60% of H3 → Q holds 43.2% of H3.
    owner = gen.new_person(batch, "钱德润")
    h1 = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2008, 1, 1), name="清丰县德润控股有限公司"
    )
    h2 = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2010, 1, 1), name="清丰县德润投资有限公司"
    )
    h3 = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2012, 1, 1), name="清丰县德润建材有限公司"
    )
    for held in (h1, h2, h3):
        gen.populate_minimal(batch, held)
    gen.role(batch, RoleType.SHAREHOLDER_OF, owner, h1, date(2008, 1, 1), ratio=0.9)
    gen.role(batch, RoleType.SHAREHOLDER_OF, h1, h2, date(2010, 1, 1), ratio=0.8)
    gen.role(batch, RoleType.SHAREHOLDER_OF, h2, h3, date(2012, 1, 1), ratio=0.6)
    cases["ownership_chain"] = {
        "owner": owner.person_key, "chain": [h1.uscc, h2.uscc, h3.uscc], "cumulative_share_in_last": 0.432,
    }  # fmt: skip

    # 9. Bidders: two share a phone and a person (supervisor of one, finance head of the other); a third
    #    has nothing in common with them.
    phone = "13903930922"
    b1 = gen.new_enterprise(
        batch,
        division=QINGFENG,
        established_on=date(2015, 1, 1),
        phone=phone,
        name="清丰县同创建筑工程有限公司",
    )
    b2 = gen.new_enterprise(
        batch,
        division=QINGFENG,
        established_on=date(2016, 1, 1),
        phone=phone,
        name="清丰县众诚建筑工程有限公司",
    )
    b3 = gen.new_enterprise(
        batch,
        division=QINGFENG,
        established_on=date(2016, 1, 1),
        phone="13703930000",
        name="清丰县启航建筑工程有限公司",
    )
    for bidder in (b1, b2, b3):
        gen.populate_minimal(batch, bidder)
    link = gen.new_person(batch, "周晓东")
    gen.role(batch, RoleType.SUPERVISOR_OF, link, b1, date(2015, 1, 1), position="监事")
    gen.role(batch, RoleType.SENIOR_MANAGER_OF, link, b2, date(2016, 1, 1), position=v.FINANCE_HEAD)
    cases["bidders"] = {
        "linked": [b1.uscc, b2.uscc],
        "unrelated": b3.uscc,
        "shared_phone": phone,
        "shared_person": link.person_key,
    }

    # 10. A natural person directly on two domains' lists (court and labour).
    debtor = gen.new_person(batch, "吴海涛")
    c1 = gen.entry(
        batch, COURT, debtor, date(2023, 8, 1), conduct_date=date(2023, 2, 1), expires_on=date(2028, 8, 1)
    )
    c2 = gen.entry(
        batch, LABOUR, debtor, date(2024, 8, 1), conduct_date=date(2024, 2, 1), expires_on=date(2027, 8, 1)
    )
    cases["multi_listed_person"] = {
        "person": debtor.person_key, "entry_ids": [c1.entry_id, c2.entry_id], "domains": ["court", "labour"],
    }  # fmt: skip

    # 11. The legal representative left before the conduct: a rule keyed on the conduct date reaches
    #     the successor and the finance head, not him.
    e = gen.new_enterprise(
        batch, division=QINGFENG, established_on=date(2012, 1, 1), name="清丰县裕华食品有限公司"
    )
    left, successor, finance = gen.new_person(batch, "马德振"), gen.new_person(batch), gen.new_person(batch)
    gen.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, left, e, date(2012, 1, 1), date(2019, 6, 1))
    gen.role(batch, RoleType.LEGAL_REPRESENTATIVE_OF, successor, e, date(2019, 6, 1))
    gen.role(batch, RoleType.SENIOR_MANAGER_OF, finance, e, date(2012, 1, 1), position=v.FINANCE_HEAD)
    t = gen.entry(batch, TAX, e, date(2024, 5, 1), conduct_date=date(2023, 4, 1), expires_on=date(2027, 5, 1))
    cases["left_before_conduct"] = {
        "uscc": e.uscc,
        "entry_id": t.entry_id,
        "left": left.person_key,
        "covered": sorted([successor.person_key, finance.person_key]),
    }

    # 12-14. Entries that do not restrict: an objection being verified, a repaired one, a revoked one.
    for name, spec, status in (
        ("objection_in_progress", COURT, "under_objection"),
        ("repaired_entry", ENVIRONMENT, "repaired"),
        ("revoked_entry", SAFETY, "revoked"),
    ):
        e = gen.new_enterprise(batch, division=QINGFENG, established_on=date(2015, 6, 1))
        legal = gen.populate_minimal(batch, e)
        entry = gen.entry(
            batch, spec, e, date(2024, 2, 1), conduct_date=date(2023, 10, 1), expires_on=date(2028, 2, 1),
            status=status,
        )  # fmt: skip
        cases[name] = {"uscc": e.uscc, "entry_id": entry.entry_id, "legal_rep": legal.person_key}

    # Planted people and companies are not handed out again to random organisations, so the answers
    # above stay exact whatever else is generated.
    gen.forget_pools()
