"""The Chinese words the pages use for the service's codes: one table for the templates and the script."""

from __future__ import annotations

from graph_service.identifiers import IdentifierError
from graph_service.model import ROLE_NAMES_ZH

STATE_ZH = {
    "in_force": "有效",
    "suspended": "异议核查中，措施暂停",
    "not_yet_listed": "尚未生效",
    "expired": "已到期",
    "repaired": "已信用修复",
    "revoked": "已撤销",
    "removed_from_source": "来源已移除",
    "archived": "已归档",
}
ENTRY_STATUS_ZH = {
    "active": "有效",
    "under_objection": "异议核查中",
    "repaired": "已信用修复",
    "revoked": "已撤销",
    "removed_from_source": "来源已移除",
    "archived": "已归档",
}
KIND_ZH = {"black": "失信（黑名单）", "red": "守信（红名单）", "watch": "重点关注"}
KEY_ROLE_ZH = {"public": "公众", "agency": "部门", "investigator": "调查人员", "admin": "管理员"}
# The checks of identifiers.py, for a person to read: which part of the code is wrong.
CHECK_ZH = {
    "empty": "代码为空",
    "length": "位数不对：统一社会信用代码为 18 位",
    "charset": "含有不允许的字符：只允许数字和除 I、O、S、V、Z 以外的大写字母",
    "registration_authority": "第 1 位不是登记管理部门代码",
    "organisation_type": "第 2 位机构类别与登记管理部门不符",
    "division": "第 3–8 位不是行政区划代码",
    "org_code_check": "第 9–17 位组织机构代码的校验码不对（GB 11714）",
    "check_character": "第 18 位校验码不对（GB 32100）",
}


def identifier_problem_zh(err: IdentifierError) -> str:
    return CHECK_ZH.get(err.check, "代码格式不对")


def explorer_labels() -> dict[str, dict[str, str]]:
    """What the explorer's script shows for codes in API answers."""
    return {
        "roles": {t.value: name for t, name in ROLE_NAMES_ZH.items()},
        "states": STATE_ZH,
        "statuses": ENTRY_STATUS_ZH,
        "kinds": KIND_ZH,
        "keyRoles": KEY_ROLE_ZH,
        "checks": CHECK_ZH,
    }
