"""Which flow a mail takes, by who wrote it (desk/sender.py): the one place that decides."""

from __future__ import annotations

from mailbot.desk.plan import Plan
from mailbot.flows import Situation, helper, user, vendor


def plan_for(s: Situation) -> Plan:
    role = s.mail.sender.role
    if role == "helper":
        return helper.plan(s)
    if role == "vendor":
        return vendor.plan(s)
    return user.plan(s)  # a user, or automatic mail (recorded, never answered)
