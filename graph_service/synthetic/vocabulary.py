"""Words the synthetic generator draws from: Henan divisions, Chinese names, trades, professions."""

from __future__ import annotations

# Real GB/T 2260 division codes in Henan, weighted towards the counties the seed documents come from.
# Mengjin keeps its county code 410322 as the 2019 seed uses it.
DIVISIONS: dict[str, str] = {
    "410902": "濮阳市华龙区",
    "410922": "濮阳市清丰县",
    "410923": "濮阳市南乐县",
    "410926": "濮阳市范县",
    "410927": "濮阳市台前县",
    "410928": "濮阳县",
    "410322": "洛阳市孟津县",
    "410302": "洛阳市老城区",
    "410303": "洛阳市西工区",
    "410311": "洛阳市洛龙区",
    "410882": "沁阳市",
    "410883": "孟州市",
    "410802": "焦作市解放区",
    "410811": "焦作市山阳区",
    "410102": "郑州市中原区",
    "410105": "郑州市金水区",
}
DIVISION_WEIGHTS: dict[str, int] = {
    "410922": 6,
    "410902": 5,
    "410928": 3,
    "410322": 5,
    "410882": 5,
}
# Birth regions for residents: the same counties plus a few elsewhere, as people move.
BIRTH_REGIONS: tuple[str, ...] = (
    *DIVISIONS.keys(),
    "410901",
    "410305",
    "410821",
    "370702",
    "340524",
    "360426",
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_CHARS = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂华建国志红玉兰俊峰鹏辉亮梅琳晓东海波宁斌浩宇欣雪"
    "凯飞鑫瑞婷晨阳文博岩松林德振新春丹萍彬旭庆豪成鸿雯佳蕾豫中卫民永利"
)
TRADE_NAMES = (
    "华豫",
    "中原",
    "龙都",
    "清丰",
    "顺达",
    "恒信",
    "鑫源",
    "宏远",
    "金盾",
    "瑞丰",
    "天成",
    "永盛",
    "昌隆",
    "兴业",
    "裕华",
    "德润",
    "同创",
    "博远",
    "嘉禾",
    "汇通",
    "众诚",
    "万和",
    "正阳",
    "启航",
    "盛世",
    "开元",
    "福瑞",
    "泰和",
    "宇通",
    "安澜",
    "沁园",
    "孟津",
    "河洛",
    "黄河",
    "太行",
    "豫北",
)
INDUSTRIES = (
    "建筑工程",
    "商贸",
    "农业科技",
    "食品",
    "化工",
    "物流",
    "房地产开发",
    "餐饮管理",
    "医药",
    "环保科技",
    "机械制造",
    "纺织",
    "建材",
    "电子科技",
    "石油机械",
    "劳务",
    "家具",
    "养殖",
)
STREETS = ("人民路", "建设路", "中原路", "胜利路", "黄河路", "开州路", "顿丘路", "长庆路", "解放路", "文化路")
LEGAL_FORMS = {
    "company": ("有限责任公司(自然人投资或控股)", "有限责任公司(自然人独资)", "股份有限公司(非上市)"),
    "individual_business": ("个体工商户",),
    "cooperative": ("农民专业合作社",),
    "branch": ("有限责任公司分公司",),
}
PROFESSIONS = (
    "注册会计师",
    "注册建造师",
    "执业药师",
    "注册税务师",
    "律师",
    "注册造价工程师",
    "注册监理工程师",
    "注册安全工程师",
    "注册资产评估师",
    "注册建筑师",
    "注册结构工程师",
    "执业医师",
    "注册测绘师",
    "注册消防工程师",
)
DIRECTOR_POSITIONS = ("董事长", "董事", "董事", "独立董事")
MANAGER_POSITIONS = ("经理", "副经理")
FINANCE_HEAD = "财务负责人"

# List types and the authorities that publish them (docs/domain.md, "Who is reached, by list"), with
# their domain.
BLACK_LISTS: tuple[tuple[str, str, str, int, str], ...] = (
    # (list_type, domain, authority, conduct category, conduct)
    ("court_dishonest_debtor", "court", "{county}人民法院", 3, "有履行能力而拒不履行生效法律文书确定义务"),
    ("major_tax_violation", "tax", "国家税务总局{county}税务局", 2, "虚开增值税专用发票"),
    ("work_safety", "safety", "{county}应急管理局", 1, "发生生产安全责任事故"),
    ("environment", "environment", "濮阳市生态环境局", 1, "超标排放污染物且拒不改正"),
    ("food_drug", "food_drug", "{county}市场监督管理局", 1, "生产销售不符合食品安全标准的食品"),
    ("market_serious_violation", "market", "{county}市场监督管理局", 2, "提交虚假材料取得登记"),
    ("wage_arrears", "labour", "{county}人力资源和社会保障局", 2, "恶意拖欠农民工工资"),
    ("public_resource_trading", "bidding", "{county}公共资源交易中心", 2, "串通投标"),
)
RED_LIST = ("tax_a_grade", "tax", "国家税务总局{county}税务局", "纳税信用A级纳税人")
WATCH_LIST = ("abnormal_operation", "market", "{county}市场监督管理局", "未按规定报送年度报告")
