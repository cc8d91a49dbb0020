"""Which flow a mail takes, by who wrote it (desk/sender.py): the one place that decides."""

from __future__ import annotations

from mailbot.desk.plan import Plan
from mailbot.flows import Situation, helper, machine, user, vendor


def plan_for(s: Situation) -> Plan:
    role = s.mail.sender.role
    if role == "helper":
        return helper.plan(s)
    if role == "vendor":
        return vendor.plan(s)
    if machine.is_machine(s.mail):
        return machine.plan(s)  # recorded, never answered, never a case of its own
    return user.plan(s)
