"""Loop protection on realistic raw mail: what each real sender looks like, and what we do.

Each message is written as the bytes a mailbox would hold (Return-Path and Received added
by our MX), parsed with email.message_from_bytes (compat32), as the pipeline does.
"""

from __future__ import annotations

import email
import json
from email.message import Message
from email.utils import getaddresses
from pathlib import Path

import pytest

from mailbot.reading.loops import AutoVerdict, detect_auto

OWN = frozenset({"help@school.example", "ej-help@school.example"})
DOMAIN = "school.example"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def parse(raw: str | bytes) -> Message:
    data = raw.encode("utf-8") if isinstance(raw, str) else raw
    return email.message_from_bytes(data.lstrip(b"\n").replace(b"\r\n", b"\n"))


def sender_of(msg: Message) -> str:
    pairs = getaddresses([str(v) for v in msg.get_all("From", [])])
    return pairs[0][1].lower() if pairs else ""


def verdict(raw: str | bytes, **kw: object) -> AutoVerdict:
    msg = parse(raw)
    args: dict[str, object] = {
        "from_addr": sender_of(msg),
        "own_addresses": OWN,
        "own_domain": DOMAIN,
    }
    args.update(kw)
    return detect_auto(msg, **args)  # type: ignore[arg-type]


def has_reason(v: AutoVerdict, fragment: str) -> bool:
    return any(fragment.lower() in r.lower() for r in v.reasons)


# --------------------------------------------------------------------- real-world messages

GMAIL_VACATION = """
Return-Path: <s.nikitina.mama@gmail.com>
Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41])
	by mx.school.example (Postfix) with SMTPS id 4Qx1Zk0mB4z9sQw
	for <help@school.example>; Mon, 02 Mar 2026 10:14:07 +0500 (+05)
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=gmail.com; s=20230601; h=to:subject
 :message-id:date:from:in-reply-to:references:mime-version; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5
MIME-Version: 1.0
References: <mailbot.412.ack.9f1c2e3d4b5a6978@school.example>
In-Reply-To: <mailbot.412.ack.9f1c2e3d4b5a6978@school.example>
Auto-Submitted: auto-replied
From: =?UTF-8?B?0KHQstC10YLQu9Cw0L3QsCDQndC40LrQuNGC0LjQvdCw?= <s.nikitina.mama@gmail.com>
Date: Mon, 2 Mar 2026 10:14:05 +0500
Message-ID: <CAHx4Fj_vAc7Yq5nW0=OO2Q@mail.gmail.com>
Subject: =?UTF-8?B?UmU6IFvQrdCWICM0MTJdINCS0LDRiNC1INC+0LHRgNCw0YnQtdC90LjQtSDQv9GA?=
 =?UTF-8?B?0LjQvdGP0YLQvg==?=
To: help@school.example
Content-Type: multipart/alternative; boundary="000000000000a1b2c3061f2e9d10"

--000000000000a1b2c3061f2e9d10
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

0K8g0LIg0L7RgtC/0YPRgdC60LUg0LTQviAxMCDQvNCw0YDRgtCwLg0K
--000000000000a1b2c3061f2e9d10--
"""

EXCHANGE_OOF_EN = """
Return-Path: <>
Received: from EUR05-VI1-obe.outbound.protection.outlook.com (mail-vi1eur05on2100.outbound.protection.outlook.com [40.107.21.100])
	by mx.school.example (Postfix) with ESMTPS id 4QyB2r1KXcz9sTn
	for <help@school.example>; Tue, 03 Mar 2026 09:02:11 +0500 (+05)
From: Olga Vetrova <o.vetrova@lyceum7.onmicrosoft.com>
To: "help@school.example" <help@school.example>
Subject: Automatic reply: [ЭЖ #415] Your request has been registered
Thread-Topic: [ЭЖ #415] Your request has been registered
Thread-Index: AQHcSk4h0mJ1n3b2X0S5dlZ3fO9aOw==
Date: Tue, 3 Mar 2026 04:02:09 +0000
Message-ID: <b0c3c9d0a1f84a2e9d1bbd0e8e4e7c11@DB9PR02MB7210.eurprd02.prod.outlook.com>
In-Reply-To: <mailbot.415.ack.0b1c2d3e4f506172@school.example>
Content-Language: en-US
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
auto-submitted: auto-generated
x-ms-exchange-generated-message-source: Mailbox Rules Agent
x-ms-exchange-parent-message-id: <mailbot.415.ack.0b1c2d3e4f506172@school.example>
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable
MIME-Version: 1.0

I am out of the office until 10 March with limited access to e-mail.
"""

# Outlook 2010 on Exchange 2010: the Russian "Нет на месте" OOF, koi8-r encoded subject.
EXCHANGE_2010_OOF_RU = """
Return-Path: <zavuch@gym3-perm.example>
Received: from mail.gym3-perm.example (mail.gym3-perm.example [203.0.113.17])
	by mx.school.example (Postfix) with ESMTP id 4QyC8s2LYdz9sUp
	for <help@school.example>; Wed, 04 Mar 2026 15:40:02 +0500 (+05)
From: =?koi8-r?B?68/XwczF18Eg4S7wLg==?= <zavuch@gym3-perm.example>
To: <help@school.example>
Subject: =?koi8-r?B?7sXUIM7BIM3F09TFOiD8zMXL1NLPzs7ZyiDEzsXXzsnL?=
Date: Wed, 4 Mar 2026 15:39:58 +0500
Message-ID: <7A1C5F0D2B9E4C4F8B0E1D3A5C7E9F01@EXCH2010.gym3.local>
Thread-Topic: =?koi8-r?B?/MzFy9TSz87O2cogxM7F187J yw==?=
Content-Language: ru-RU
X-MS-Has-Attach:
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="koi8-r"
Content-Transfer-Encoding: 8bit
MIME-Version: 1.0

Я нахожусь в отпуске до 15.03.
"""

MAILRU_AUTORESPONDER = """
Return-Path: <petrov.av.77@mail.ru>
Received: from f512.i.mail.ru (f512.i.mail.ru [217.69.128.8])
	by mx.school.example (Postfix) with ESMTPS id 4QyD1t3MZfz9sVq
	for <help@school.example>; Thu, 05 Mar 2026 08:30:44 +0500 (+05)
From: =?UTF-8?B?0JDQvdC00YDQtdC5INCf0LXRgtGA0L7Qsg==?= <petrov.av.77@mail.ru>
To: help@school.example
Subject: =?UTF-8?B?UmU6INCS0LDRiNC1INC/0LjRgdGM0LzQviDQv9C+0LvRg9GH0LXQvdC+?=
MIME-Version: 1.0
X-Mailer: Mail.Ru Mailer 1.0
Auto-Submitted: Auto-Replied (vacation); owner-email="petrov.av.77@mail.ru"
Precedence: bulk
Date: Thu, 05 Mar 2026 06:30:42 +0300
Message-ID: <1772688642.123456789@f512.i.mail.ru>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Здравствуйте! Я в командировке до 12 марта.
"""

YANDEX_DSN = """
Return-Path: <>
Received: from forward500a.mail.yandex.net (forward500a.mail.yandex.net [178.154.239.80])
	by mx.school.example (Postfix) with ESMTPS id 4QyE7u4NAgz9sWr
	for <help@school.example>; Fri, 06 Mar 2026 12:00:10 +0500 (+05)
From: =?utf-8?B?0J/QvtGH0YLQvtCy0YvQuSDRgNC+0LHQvtGCINCv0L3QtNC10LrRgdCw?= <mailer-daemon@yandex.ru>
To: help@school.example
Subject: =?utf-8?B?0J3QtdC00L7RgdGC0LDQstC70LXQvdC90L7QtSDRgdC+0L7QsdGJ0LXQvdC40LU=?=
Date: Fri, 06 Mar 2026 10:00:08 +0300
Message-Id: <20260306100008.KdQ3Xl0Iw0E1@mail-notsolved.yandex.ru>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="yandex-dsn-KdQ3Xl0Iw0E1"

--yandex-dsn-KdQ3Xl0Iw0E1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Сообщение не доставлено: ящик получателя не существует.
--yandex-dsn-KdQ3Xl0Iw0E1
Content-Type: message/delivery-status

Reporting-MTA: dns; mail-notsolved.yandex.ru

Final-Recipient: rfc822; ivanova.mp@yandex.ru
Action: failed
Status: 5.1.1
--yandex-dsn-KdQ3Xl0Iw0E1--
"""

POSTFIX_DSN = """
Return-Path: <>
Delivered-To: help@school.example
Received: by mx.school.example (Postfix)
	id 4QyF2v5PBhz9sXs; Sat, 07 Mar 2026 09:00:07 +0500 (+05)
Date: Sat, 07 Mar 2026 09:00:07 +0500 (+05)
From: MAILER-DAEMON@mx.school.example (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: help@school.example
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4QyF2v5PBhz9sXs.1772856007/mx.school.example"
Content-Transfer-Encoding: 8bit
Message-Id: <20260307040007.4QyF2v5PBhz9sXs@mx.school.example>

This is a MIME-encapsulated message.

--4QyF2v5PBhz9sXs.1772856007/mx.school.example
Content-Description: Notification
Content-Type: text/plain; charset=utf-8

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--4QyF2v5PBhz9sXs.1772856007/mx.school.example
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.school.example
X-Postfix-Queue-ID: 4QyF2v5PBhz9sXs

Final-Recipient: rfc822; kuzmina_tanya@rambler.ru
Action: failed
Status: 5.1.1

--4QyF2v5PBhz9sXs.1772856007/mx.school.example
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: help@school.example
Message-ID: <mailbot.420.reply.77aa88bb99cc00dd@school.example>

--4QyF2v5PBhz9sXs.1772856007/mx.school.example--
"""

EXCHANGE_NDR = """
Received: from VI1PR02MB5000.eurprd02.prod.outlook.com (2603:10a6:803:5::22)
	by mx.school.example (Postfix) with ESMTPS id 4QyG3w6QCiz9sYt
	for <help@school.example>; Sun, 08 Mar 2026 11:11:11 +0500 (+05)
From: Microsoft Outlook
 <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@lyceum7.onmicrosoft.com>
To: <help@school.example>
Date: Sun, 8 Mar 2026 06:11:09 +0000
Content-Type: multipart/report; report-type=delivery-status;
	boundary="4f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8"
X-MS-Exchange-Message-Is-Ndr:
Content-Language: ru-RU
Message-ID: <5c1e2d3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f@VI1PR02MB5000.eurprd02.prod.outlook.com>
In-Reply-To: <mailbot.421.ack.1122334455667788@school.example>
Subject: =?utf-8?B?0J3QtdC00L7RgdGC0LDQstC70LXQvdC+OiBb0K3QliAjNDIxXQ==?=
MIME-Version: 1.0

--4f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8
Content-Type: text/plain; charset="utf-8"

Delivery has failed to these recipients or groups.
--4f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8
Content-Type: message/delivery-status

Reporting-MTA: dns;VI1PR02MB5000.eurprd02.prod.outlook.com

Final-Recipient: rfc822;a.sidorov@lyceum7.onmicrosoft.com
Action: failed
Status: 5.1.10
--4f6a1b2c-3d4e-5f60-7182-93a4b5c6d7e8--
"""

# Exim's classic text/plain bounce; this mailbox's MDA adds no Return-Path.
EXIM_BOUNCE_PLAIN = """
Received: from mx1.rambler.ru ([81.19.66.32])
	by mx.school.example (Postfix) with ESMTP id 4QyH4x7RDjz9sZu
	for <help@school.example>; Mon, 09 Mar 2026 07:45:00 +0500 (+05)
X-Failed-Recipients: sidorenko@rambler.ru
From: Mail Delivery System <Mailer-Daemon@mx1.rambler.ru>
To: help@school.example
Subject: Mail delivery failed: returning message to sender
Message-Id: <E1vQ2Hj-0001Ab-Cd@mx1.rambler.ru>
Date: Mon, 09 Mar 2026 05:44:58 +0300

This message was created automatically by mail delivery software.
"""

GOOGLE_GROUPS = """
Return-Path: <parents-5b+bncBAABB4XJ2KVQMGQEM3Y@googlegroups.com>
Received: from mail-yw1-f189.google.com (mail-yw1-f189.google.com [209.85.128.189])
	by mx.school.example (Postfix) with ESMTPS id 4QyJ5y8SEkz9s0v
	for <help@school.example>; Tue, 10 Mar 2026 19:20:31 +0500 (+05)
Sender: parents-5b@googlegroups.com
MIME-Version: 1.0
From: =?UTF-8?B?0JzQsNGA0LjQvdCwINCa0L7Qu9C+0YHQvtCy0LA=?= <kolosova.marina@gmail.com>
Date: Tue, 10 Mar 2026 19:20:14 +0500
Message-ID: <CAKq3Vd+XJ9pWfG8tH2=0mL1@mail.gmail.com>
Subject: =?UTF-8?B?0KDQvtC00LjRgtC10LvRjNGB0LrQvtC1INGB0L7QsdGA0LDQvdC40LUgNdCR?=
To: parents-5b@googlegroups.com
X-Original-Sender: kolosova.marina@gmail.com
X-Original-Authentication-Results: mx.google.com; dkim=pass header.i=@gmail.com
Reply-To: parents-5b@googlegroups.com
Precedence: list
Mailing-list: list parents-5b@googlegroups.com; contact parents-5b+owners@googlegroups.com
List-ID: <parents-5b.googlegroups.com>
X-Spam-Checked-In-Group: kolosova.marina@gmail.com
X-Google-Group-Id: 802517734612
List-Post: <https://groups.google.com/group/parents-5b/post>, <mailto:parents-5b@googlegroups.com>
List-Help: <https://support.google.com/a/users/answer/9308783>, <mailto:parents-5b+help@googlegroups.com>
List-Archive: <https://groups.google.com/group/parents-5b
List-Unsubscribe: <mailto:googlegroups-manage+802517734612+unsubscribe@googlegroups.com>,
 <https://groups.google.com/group/parents-5b/subscribe>
Content-Type: text/plain; charset="UTF-8"

Собрание в четверг в 18:00.
"""

GOSUSLUGI = """
Return-Path: <no-reply@gosuslugi.ru>
Received: from mx-out3.gosuslugi.ru (mx-out3.gosuslugi.ru [213.59.255.175])
	by mx.school.example (Postfix) with ESMTP id 4QyK6z9TFlz9s1w
	for <help@school.example>; Wed, 11 Mar 2026 13:05:09 +0500 (+05)
Date: Wed, 11 Mar 2026 11:05:07 +0300 (MSK)
From: =?UTF-8?B?0JPQvtGB0YPRgdC70YPQs9C4?= <no-reply@gosuslugi.ru>
To: help@school.example
Message-ID: <1296602853.18829.1773216307001@esia-notify-3.gosuslugi.ru>
Subject: =?UTF-8?B?0JLRhdC+0LQg0LIg0LvQuNGH0L3Ri9C5INC60LDQsdC40L3QtdGC?=
MIME-Version: 1.0
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: 8bit

<p>Выполнен вход в личный кабинет. Не отвечайте на это письмо.</p>
"""

# A parent's Outlook 2016 mail: ordinary human text, the Microsoft header asks for no OOF.
PARENT_OUTLOOK_XARS = """
Return-Path: <lebedev.ds@uralsteel.example>
Received: from mail.uralsteel.example (mail.uralsteel.example [203.0.113.44])
	by mx.school.example (Postfix) with ESMTPS id 4QyL7a0VGmz9s2x
	for <help@school.example>; Thu, 12 Mar 2026 16:02:40 +0500 (+05)
From: =?windows-1251?B?y+Xh5eTl4iDE7Ojy8OjpINHl8OPl5eLo9w==?= <lebedev.ds@uralsteel.example>
To: <help@school.example>
Subject: =?windows-1251?B?zeUg4ejk7iDu9uXt6ugg8fvt4A==?=
Date: Thu, 12 Mar 2026 16:02:36 +0500
Message-ID: <000a01dc9f2e$7c1d2b30$74578190$@uralsteel.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: 8bit
X-Mailer: Microsoft Outlook 16.0
Thread-Index: AdyfLnwJ9yA0yq7ZSuq7x1q2Y3bN9w==
Content-Language: ru
X-Auto-Response-Suppress: All

Добрый день! Не видно оценок сына в дневнике с понедельника.
"""

PARENT_AUTO_SUBMITTED_NO = """
Return-Path: <grigoryeva_n@inbox.ru>
Received: from smtp48.i.mail.ru (smtp48.i.mail.ru [95.163.41.86])
	by mx.school.example (Postfix) with ESMTPS id 4QyM8b1WHnz9s3y
	for <help@school.example>; Fri, 13 Mar 2026 21:14:02 +0500 (+05)
Date: Fri, 13 Mar 2026 19:13:58 +0300
From: Natalya Grigoryeva <grigoryeva_n@inbox.ru>
To: help@school.example
Subject: Parol ot dnevnika
Message-ID: <20260313191358.5d1e3c7a@nata-pc>
Auto-Submitted: no
X-Mailer: Claws Mail 4.2.0 (GTK 3.24.41; x86_64-pc-linux-gnu)
MIME-Version: 1.0
Content-Type: text/plain; charset=US-ASCII
Content-Transfer-Encoding: 7bit

Zdravstvuyte, ne mogu voyti v dnevnik, parol ne podhodit.
"""

PARENT_MENTIONS_AUTOREPLY = """
Return-Path: <romanova.ek@yandex.ru>
Received: from forward102b.mail.yandex.net (forward102b.mail.yandex.net [178.154.239.149])
	by mx.school.example (Postfix) with ESMTPS id 4QyN9c2XJpz9s4z
	for <help@school.example>; Sat, 14 Mar 2026 10:01:15 +0500 (+05)
From: =?utf-8?B?0JXQutCw0YLQtdGA0LjQvdCwINCg0L7QvNCw0L3QvtCy0LA=?= <romanova.ek@yandex.ru>
To: help@school.example
Subject: =?utf-8?B?0J3QtSDQv9GA0LjRiNGR0Lsg0LDQstGC0L7QvtGC0LLQtdGC?=
MIME-Version: 1.0
X-Mailer: Yamail [ http://yandex.ru ] 5.0
Date: Sat, 14 Mar 2026 08:01:12 +0300
Message-Id: <123721773464472@mail.yandex.ru>
Content-Transfer-Encoding: 8bit
Content-Type: text/plain; charset=utf-8

Здравствуйте. Я писала вам во вторник, но не пришёл даже автоответ (auto-reply),
хотя обычно приходит "Автоответ: ваше обращение принято". Out of Office?
Precedence: bulk
"""

READ_RECEIPT = """
Return-Path: <m.sokolova@school12.example>
Received: from mail.school12.example (mail.school12.example [203.0.113.120])
	by mx.school.example (Postfix) with ESMTP id 4QyP0d3YKqz9s50
	for <help@school.example>; Mon, 16 Mar 2026 09:00:00 +0500 (+05)
From: =?utf-8?B?0KHQvtC60L7Qu9C+0LLQsCDQnC4=?= <m.sokolova@school12.example>
To: help@school.example
Subject: =?utf-8?B?0J/RgNC+0YfQuNGC0LDQvdC+OiBb0K3QliAjNDMwXQ==?=
Date: Mon, 16 Mar 2026 08:59:57 +0500
Message-ID: <ae3b1b4e-7f1a-4f38-9a0c-2d8f7e5b6c11@school12.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification;
	boundary="------------mdn-9a0c2d8f7e5b"

--------------mdn-9a0c2d8f7e5b
Content-Type: text/plain; charset=UTF-8

Сообщение прочитано.
--------------mdn-9a0c2d8f7e5b
Content-Type: message/disposition-notification

Reporting-UA: school12.example; Thunderbird 128.3.1
Final-Recipient: rfc822;m.sokolova@school12.example
Original-Message-ID: <mailbot.430.reply.aa11bb22cc33dd44@school.example>
Disposition: manual-action/MDN-sent-manually; displayed
--------------mdn-9a0c2d8f7e5b--
"""

# Our own acknowledgement, redirected back to us verbatim by a parent's forwarding rule.
OWN_ACK_RETURNED = """
Return-Path: <help@school.example>
Received: from mx.yandex.example (mx.yandex.example [192.0.2.77])
	by mx.school.example (Postfix) with ESMTPS id 4QyQ1e4ZLrz9s61
	for <help@school.example>; Tue, 17 Mar 2026 11:00:03 +0500 (+05)
From: =?utf-8?b?0KHQu9GD0LbQsdCwINC/0L7QvNC+0YnQuA==?= <help@school.example>
To: zaitseva.o@yandex.example
Subject: =?utf-8?b?W9Ct0JYgIzQzMV0g0JLQsNGI0LUg0L7QsdGA0LDRidC10L3QuNC1INC/0YDQuNC90Y/RgtC+?=
Date: Tue, 17 Mar 2026 06:00:01 +0000
Message-ID: <mailbot.431.ack.5e6f7a8b9c0d1e2f@school.example>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-Mailbot-Loop: school.example
Content-Language: ru
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

Ваше обращение зарегистрировано под номером 431.
"""

# A teacher writes from the school's own domain with Thunderbird: the Message-ID is at our
# domain, and that alone must not silence the acknowledgement.
TEACHER_THUNDERBIRD = """
Return-Path: <n.orlova@school.example>
Received: from [10.20.1.55] (ws-uch15.school.local [10.20.1.55])
	by mx.school.example (Postfix) with ESMTPSA id 4QyR2f5aMsz9s72
	for <help@school.example>; Wed, 18 Mar 2026 13:30:10 +0500 (+05)
Message-ID: <4b7e0f1c-2a9d-4c8e-b1f3-6d5a7c9e0b21@school.example>
Date: Wed, 18 Mar 2026 13:30:08 +0500
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: ru
To: help@school.example
From: =?UTF-8?B?0J3QuNC90LAg0J7RgNC70L7QstCw?= <n.orlova@school.example>
Subject: =?UTF-8?B?0J3QtSDRgdC+0YXRgNCw0L3Rj9GO0YLRgdGPINC+0YbQtdC90LrQuCA30JI=?=
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 8bit

Оценки за контрольную в 7В не сохраняются.
"""


def test_gmail_vacation_responder_is_auto_reply() -> None:
    v = verdict(GMAIL_VACATION)
    assert v.kind == "auto_reply"
    assert not v.may_auto_reply
    assert "Auto-Submitted: auto-replied" in v.reasons


def test_exchange_online_oof_collects_every_signal() -> None:
    v = verdict(EXCHANGE_OOF_EN)
    assert (v.kind, v.may_auto_reply) == ("auto_reply", False)
    for fragment in (
        "Auto-Submitted: auto-generated",
        "Return-Path is empty",
        "X-Auto-Response-Suppress",
        "Mailbox Rules Agent",
        "out-of-office",
    ):
        assert has_reason(v, fragment), (fragment, v.reasons)


def test_old_exchange_russian_oof_found_by_koi8r_subject() -> None:
    v = verdict(EXCHANGE_2010_OOF_RU)
    assert v.kind == "auto_reply"
    assert not v.may_auto_reply
    assert has_reason(v, "Нет на месте")


def test_mailru_autoresponder_with_parameters_and_bulk() -> None:
    v = verdict(MAILRU_AUTORESPONDER)
    assert v.kind == "auto_reply"  # auto_reply outranks the list kind of Precedence: bulk
    assert "Auto-Submitted: auto-replied" in v.reasons
    assert "Precedence: bulk" in v.reasons


@pytest.mark.parametrize("raw", [YANDEX_DSN, POSTFIX_DSN, EXCHANGE_NDR, EXIM_BOUNCE_PLAIN])
def test_delivery_reports_are_bounces(raw: str) -> None:
    v = verdict(raw)
    assert v.kind == "bounce"
    assert not v.may_auto_reply


def test_postfix_dsn_reports_all_reasons() -> None:
    v = verdict(POSTFIX_DSN)
    assert "Auto-Submitted: auto-replied" in v.reasons
    assert has_reason(v, "Return-Path is empty")
    assert has_reason(v, "mailer-daemon@")
    assert has_reason(v, "report-type=delivery-status")
    assert len(v.reasons) == len(set(v.reasons)) >= 4


def test_exchange_ndr_without_return_path_or_daemon_sender() -> None:
    v = verdict(EXCHANGE_NDR)
    assert v.kind == "bounce"
    assert has_reason(v, "X-MS-Exchange-Message-Is-Ndr")
    assert has_reason(v, "Exchange system mailbox")
    assert not has_reason(v, "Return-Path")


def test_exim_plain_bounce_found_by_failed_recipients() -> None:
    v = verdict(EXIM_BOUNCE_PLAIN)
    assert has_reason(v, "X-Failed-Recipients")
    msg = parse(EXIM_BOUNCE_PLAIN)
    del msg["X-Failed-Recipients"]
    # Without the header it is still a bounce by its sender alone.
    alone = detect_auto(msg, from_addr="mailer-daemon@mx1.rambler.ru",
                        own_addresses=OWN, own_domain=DOMAIN)
    assert alone.kind == "bounce"
    assert not has_reason(alone, "X-Failed-Recipients")


def test_google_groups_mail_is_list_even_from_a_parent() -> None:
    v = verdict(GOOGLE_GROUPS)
    assert v.kind == "list"
    assert not v.may_auto_reply
    for fragment in ("Precedence: list", "List-Id", "List-Unsubscribe", "Mailing-List"):
        assert has_reason(v, fragment)


def test_gosuslugi_noreply_is_not_automatic_but_not_answered() -> None:
    v = verdict(GOSUSLUGI)
    assert v.kind == "none"
    assert not v.may_auto_reply
    assert has_reason(v, "no-reply")


def test_parent_outlook_with_suppress_header_stays_a_person() -> None:
    v = verdict(PARENT_OUTLOOK_XARS)
    assert v.kind == "none"
    assert not v.may_auto_reply
    assert len(v.reasons) == 1 and "X-Auto-Response-Suppress" in v.reasons[0]


def test_auto_submitted_no_is_an_ordinary_mail() -> None:
    v = verdict(PARENT_AUTO_SUBMITTED_NO)
    assert v == AutoVerdict("none", True, ())


def test_body_that_talks_about_auto_replies_is_ignored() -> None:
    v = verdict(PARENT_MENTIONS_AUTOREPLY)
    assert v == AutoVerdict("none", True, ())


def test_read_receipt_is_auto_reply_not_bounce() -> None:
    v = verdict(READ_RECEIPT)
    assert v.kind == "auto_reply"
    assert has_reason(v, "read receipt")


def test_our_own_ack_coming_back() -> None:
    v = verdict(OWN_ACK_RETURNED)
    assert v.kind == "auto_reply"
    assert has_reason(v, "from our own address")
    assert has_reason(v, "Message-ID is one of ours")
    assert has_reason(v, "X-Mailbot-Loop is ours")


def test_teacher_at_the_school_domain_may_be_acknowledged() -> None:
    v = verdict(TEACHER_THUNDERBIRD)
    assert v == AutoVerdict("none", True, ())


# ------------------------------------------------------------------------- rule by rule

PLAIN_HEAD = """Return-Path: <{sender}>
From: {sender}
To: help@school.example
Subject: {subject}
Date: Thu, 19 Mar 2026 10:00:00 +0500
Message-ID: <20260319100000.1a2b3c@host.example>
MIME-Version: 1.0
{extra}Content-Type: text/plain; charset=utf-8

Text.
"""


def plain(
    extra: str = "", *, sender: str = "parent@mail.example", subject: str = "Vopros"
) -> str:
    extra = extra + "\n" if extra and not extra.endswith("\n") else extra
    return PLAIN_HEAD.format(sender=sender, subject=subject, extra=extra)


def test_plain_mail_has_no_signal() -> None:
    assert verdict(plain()) == AutoVerdict("none", True, ())


@pytest.mark.parametrize(
    "header",
    [
        "Auto-Submitted: auto-replied",
        "Auto-Submitted: auto-generated",
        "Auto-Submitted: auto-notified",
        "Auto-Submitted: AUTO-REPLIED",
        "Auto-Submitted: auto-replied; owner-email=\"x@y.example\"",
        "Auto-Submitted: auto-generated (1C:Enterprise)",
        "Auto-Submitted: yes",
    ],
)
def test_auto_submitted_values(header: str) -> None:
    v = verdict(plain(header))
    assert (v.kind, v.may_auto_reply) == ("auto_reply", False)
    assert v.reasons[0].startswith("Auto-Submitted: ")
    assert ";" not in v.reasons[0] and "(" not in v.reasons[0]


@pytest.mark.parametrize("header", ["Auto-Submitted: no", "Auto-Submitted: No (human)"])
def test_auto_submitted_no(header: str) -> None:
    assert verdict(plain(header)).may_auto_reply


def test_null_return_path_without_report_is_auto_reply() -> None:
    raw = plain().replace("Return-Path: <parent@mail.example>", "Return-Path: <>")
    v = verdict(raw)
    assert (v.kind, v.may_auto_reply) == ("auto_reply", False)


def test_null_return_path_with_report_is_bounce() -> None:
    raw = YANDEX_DSN.replace("mailer-daemon@yandex.ru", "robot@yandex.ru")
    assert verdict(raw).kind == "bounce"


def test_mailer_daemon_return_path() -> None:
    raw = plain().replace("<parent@mail.example>", "<MAILER-DAEMON>", 1)
    assert not verdict(raw).may_auto_reply


@pytest.mark.parametrize(
    "sender", ["MAILER-DAEMON@mx.example", "postmaster@school12.example", "mailer_daemon@x.example"]
)
def test_daemon_senders_are_bounces(sender: str) -> None:
    v = verdict(plain(sender=sender))
    assert v.kind == "bounce"


@pytest.mark.parametrize(
    "sender",
    [
        "noreply@dnevnik.example",
        "no-reply@gosuslugi.ru",
        "no_reply@school.mos.example",
        "do-not-reply@edu.example",
        "donotreply@bank.example",
        "DoNotReply@microsoft.example",
        "notify.noreply@portal.example",
        "noreply-esia@gosuslugi.ru",
        "info@noreply.github.example",
    ],
)
def test_noreply_senders(sender: str) -> None:
    v = verdict(plain(sender=sender))
    assert (v.kind, v.may_auto_reply) == ("none", False)


@pytest.mark.parametrize(
    "sender",
    ["noreen.ivanova@mail.example", "reply@school12.example", "snoreply.fan@mail.example",
     "nora.plyushkina@mail.example"],
)
def test_similar_but_human_senders(sender: str) -> None:
    assert verdict(plain(sender=sender)).may_auto_reply


def test_own_address_alone_is_not_called_automatic() -> None:
    v = verdict(plain(sender="ej-help@school.example"))
    assert (v.kind, v.may_auto_reply) == ("none", False)
    assert v.reasons == ("from our own address",)


def test_own_addresses_compared_without_case() -> None:
    msg = parse(plain(sender="Help@School.Example"))
    v = detect_auto(msg, from_addr="Help@School.Example", own_addresses=["HELP@school.example"],
                    own_domain=DOMAIN)
    assert not v.may_auto_reply


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Precedence: bulk", "list"),
        ("Precedence: list", "list"),
        ("Precedence: junk", "list"),
        ("Precedence: BULK", "list"),
        ("Precedence: auto_reply", "auto_reply"),
        ("X-Precedence: bulk", "list"),
    ],
)
def test_precedence(header: str, kind: str) -> None:
    v = verdict(plain(header))
    assert (v.kind, v.may_auto_reply) == (kind, False)


@pytest.mark.parametrize("header", ["Precedence: first-class", "Precedence: normal"])
def test_harmless_precedence(header: str) -> None:
    assert verdict(plain(header)).may_auto_reply


@pytest.mark.parametrize(
    "header",
    [
        "List-Id: <5b-parents.lists.school12.example>",
        "List-Unsubscribe: <https://news.example/u?id=17>",
        "List-ID: =?utf-8?B?0KDQvtC00LjRgtC10LvQuA==?= <parents.lists.example>",
    ],
)
def test_list_headers(header: str) -> None:
    v = verdict(plain(header))
    assert (v.kind, v.may_auto_reply) == ("list", False)


@pytest.mark.parametrize(
    "header",
    ["X-Autoreply: yes", "X-Autorespond: Vacation", "X-Autoresponder: 1", "X-AutoReply: YES"],
)
def test_vendor_autoreply_headers(header: str) -> None:
    v = verdict(plain(header))
    assert (v.kind, v.may_auto_reply) == ("auto_reply", False)


@pytest.mark.parametrize(
    ("value", "answer"),
    [
        ("All", False),
        ("OOF", False),
        ("AutoReply", False),
        ("DR, RN, NRN, OOF, AutoReply", False),
        ("DR, RN, NRN", True),  # only receipts are suppressed; we never send receipts
        ("None", True),
    ],
)
def test_auto_response_suppress_never_makes_an_auto_reply(value: str, answer: bool) -> None:
    v = verdict(plain(f"X-Auto-Response-Suppress: {value}"))
    assert v.kind == "none"
    assert v.may_auto_reply is answer


def test_failed_recipients_alone_is_bounce() -> None:
    v = verdict(plain("X-Failed-Recipients: a@b.example"))
    assert v.kind == "bounce"


def test_dsn_part_inside_mixed_is_bounce() -> None:
    raw = """
From: Mail Administrator <admin@oldmail.example>
To: help@school.example
Subject: Returned mail: see transcript for details
Message-ID: <202603190001.k2J01@oldmail.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="BND"

--BND
Content-Type: text/plain

The original message was received but could not be delivered.
--BND
Content-Type: message/delivery-status

Final-Recipient: RFC822; x@y.example
Action: failed
Status: 5.0.0
--BND--
"""
    assert verdict(raw).kind == "bounce"


def test_bounce_forwarded_as_attachment_is_a_real_mail() -> None:
    raw = (
        """
Return-Path: <fedorova.iv@mail.example>
From: =?utf-8?B?0JjRgNC40L3QsCDQpNC10LTQvtGA0L7QstCw?= <fedorova.iv@mail.example>
To: help@school.example
Subject: =?utf-8?B?0J/QuNGB0YzQvNC+INGD0YfQuNGC0LXQu9GOINCy0LXRgNC90YPQu9C+0YHRjA==?=
Message-ID: <a1b2c3d4@mail.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="OUTER"

--OUTER
Content-Type: text/plain; charset=utf-8

Почему письмо учителю вернулось? Пересылаю.
--OUTER
Content-Type: message/rfc822

"""
        + POSTFIX_DSN.lstrip("\n").replace("Return-Path: <>\n", "")
        + "\n--OUTER--\n"
    )
    v = verdict(raw)
    assert v == AutoVerdict("none", True, ())


def test_feedback_report_is_feedback_and_other_reports_automatic() -> None:
    raw = READ_RECEIPT.replace("disposition-notification;", "feedback-report;").replace(
        "message/disposition-notification", "message/feedback-report"
    )
    v = verdict(raw)
    assert (v.kind, v.may_auto_reply) == ("feedback", False)
    other = READ_RECEIPT.replace("disposition-notification;", "x-vendor-report;").replace(
        "message/disposition-notification", "text/plain"
    )
    assert verdict(other).kind == "auto_reply"


def test_loop_header_of_ours_and_of_another_mailbot() -> None:
    ours = verdict(plain("X-Mailbot-Loop: school.example"))
    assert (ours.kind, ours.may_auto_reply) == ("auto_reply", False)
    other = verdict(plain("X-Mailbot-Loop: gym3-perm.example"))
    assert (other.kind, other.may_auto_reply) == ("none", False)
    custom = verdict(plain("X-Desk-Loop: school.example"), loop_header="X-Desk-Loop")
    assert custom.kind == "auto_reply"


def test_our_message_id_prefix_at_our_domain() -> None:
    raw = plain().replace(
        "<20260319100000.1a2b3c@host.example>", "<mailbot.77.digest.0011223344556677@School.Example>"
    )
    v = verdict(raw)
    assert v.kind == "auto_reply"
    # The same id at someone else's domain is not ours.
    assert verdict(raw.replace("@School.Example>", "@other.example>")).may_auto_reply


def test_any_message_id_at_a_dedicated_domain_is_ours() -> None:
    raw = plain().replace("@host.example>", "@desk.school.example>")
    v = verdict(raw, own_domain="desk.school.example")
    assert v.kind == "auto_reply"
    assert verdict(raw).may_auto_reply  # with the shared school domain it is just a host


@pytest.mark.parametrize(
    "header", ["X-Loop: yes", "X-RT-Loop-Prevention: school12", "X-OTRS-Loop: yes"]
)
def test_other_helpdesk_loop_markers(header: str) -> None:
    v = verdict(plain(header))
    assert (v.kind, v.may_auto_reply) == ("none", False)


def test_exchange_inbox_rule_forward_is_not_answered_but_not_automatic() -> None:
    v = verdict(plain("X-MS-Exchange-Inbox-Rules-Loop: zavuch@gym3-perm.example"))
    assert (v.kind, v.may_auto_reply) == ("none", False)


def test_autoresponder_mailer() -> None:
    v = verdict(plain("X-Mailer: cPanel Autoresponder 2.1"))
    assert v.kind == "auto_reply"
    assert verdict(plain("X-Mailer: Microsoft Outlook 16.0")).may_auto_reply


@pytest.mark.parametrize(
    "subject",
    [
        "Автоответ: Вопрос по оценкам",
        "Автоматический ответ: [ЭЖ #12] Обращение принято",
        "Нет на месте: Электронный дневник",
        "Automatic reply: Homework",
        "Auto-Reply: your message",
        "AutoReply: Re: parol",
        "Out of Office: Journal",
        "Out of Office AutoReply: Journal",
        "[Auto-Reply] Journal",
        "Abwesenheitsnotiz: Frage",
        "Automatische Antwort: Frage",
        "Réponse automatique : Question",
        "Автовідповідь: Щоденник",
        "Auto: Dnevnik",
        "Ivan Petrov is out of the office.",
        "  автоответ:   пробел",
    ],
)
def test_vacation_subjects(subject: str) -> None:
    msg = parse(plain())
    msg.replace_header("Subject", subject)  # an unencoded str, as a modern policy gives
    v = detect_auto(msg, from_addr="parent@mail.example", own_addresses=OWN, own_domain=DOMAIN)
    assert (v.kind, v.may_auto_reply) == ("auto_reply", False)
    assert v.reasons == (v.reasons[0],) and "out-of-office" in v.reasons[0]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: Автоответ: Вопрос по оценкам",
        "Fwd: Automatic reply: Homework",
        "Автоответ не приходит",
        "Почему нет автоответа?",
        "Out of office hours consultation",
        "Автоматическая выгрузка оценок",
        "Autumn holidays",
        "Auto-заявка на ремонт",
    ],
)
def test_subjects_that_only_mention_auto_replies(subject: str) -> None:
    msg = parse(plain())
    msg.replace_header("Subject", subject)
    v = detect_auto(msg, from_addr="parent@mail.example", own_addresses=OWN, own_domain=DOMAIN)
    assert v.may_auto_reply, v.reasons


@pytest.mark.parametrize(
    "encoded",
    [
        "=?windows-1251?B?wOLy7u7y4uXyOiDC7u/w7vEg7+4g7vbl7erg7A==?=",
        "=?koi8-r?B?4dfUz8/U18XUOiD3z9DSz9Mg0M8gz8PFzsvBzQ==?=",
        "=?UTF-8?Q?=D0=90=D0=B2=D1=82=D0=BE=D0=BE=D1=82=D0=B2=D0=B5=D1=82:_?= =?UTF-8?Q?test?=",
    ],
)
def test_encoded_vacation_subjects(encoded: str) -> None:
    v = verdict(plain(subject=encoded))
    assert v.kind == "auto_reply"
    assert has_reason(v, "Автоответ")


def test_raw_8bit_cp1251_subject() -> None:
    raw = plain(subject="SUBJ").encode("ascii").replace(
        b"SUBJ", "Автоответ: Вопрос".encode("cp1251")
    )
    v = verdict(raw)
    assert v.kind == "auto_reply"
    assert has_reason(v, "Автоответ")


@pytest.mark.parametrize(
    "subject",
    [
        "=?x-unknown-charset?B?QXV0b290dmV0?=",
        "=?utf-8?B?!!!not-base64***?=",
        "=?utf-8?Q?=FF=FE=FD?=",
        "=?koi8-r?B?",
        "=?utf-8?B?w6k=?= =?bogus?Q?x?=",
    ],
)
def test_garbage_encoded_words_never_raise(subject: str) -> None:
    v = verdict(plain(subject=subject))
    assert v.may_auto_reply  # none of these is an out-of-office subject


def test_garbage_header_bytes_never_raise() -> None:
    raw = plain(
        "Auto-Submitted: \xff\xfe\n" "Precedence: \x00bulk\n" "X-Auto-Response-Suppress: \xe9\n"
    ).encode("latin-1")
    v = verdict(raw)
    assert not v.may_auto_reply  # unknown values are taken as signals, never a crash


def test_kind_precedence_bounce_over_auto_over_list() -> None:
    both = verdict(plain("Precedence: list\nList-Id: <x.example>\nAuto-Submitted: auto-replied"))
    assert both.kind == "auto_reply"
    report = verdict(plain("Precedence: bulk\nAuto-Submitted: auto-replied\nX-Failed-Recipients: a@b"))
    assert report.kind == "bounce"
    assert len(report.reasons) == 3


def test_message_parsed_with_modern_policy() -> None:
    from email import policy

    msg = email.message_from_bytes(GMAIL_VACATION.lstrip("\n").encode(), policy=policy.default)
    v = detect_auto(msg, from_addr="s.nikitina.mama@gmail.com", own_addresses=OWN,
                    own_domain=DOMAIN)
    assert v.kind == "auto_reply"


def test_empty_message() -> None:
    v = detect_auto(email.message_from_bytes(b""), from_addr="", own_addresses=(), own_domain="")
    assert v == AutoVerdict("none", True, ())


# --------------------------------------------------- the shared fixtures of the parsing set


def shared_cases() -> list[tuple[str, str, bool]]:
    path = FIXTURES / "expected.json"
    if not path.exists():
        return []
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        (name, case["auto"], case["may_auto_reply"])
        for name, case in sorted(data.items())
        if "auto" in case and (FIXTURES / name).exists()
    ]


@pytest.mark.parametrize(("name", "kind", "may"), shared_cases())
def test_shared_fixtures(name: str, kind: str, may: bool) -> None:
    v = verdict((FIXTURES / name).read_bytes())
    assert (v.kind, v.may_auto_reply) == (kind, may), v.reasons


def test_reasons_stay_short_for_hostile_values() -> None:
    v = verdict(plain("Auto-Submitted: " + "auto-" * 400 + "\nX-Autoreply: yes"))
    assert not v.may_auto_reply
    assert all(len(r) <= 120 and "\n" not in r for r in v.reasons)


# ------------------------------------------------- new kinds: delay, challenge, feedback


def test_dsn_action_delayed_is_a_delay_even_from_mailer_daemon() -> None:
    raw = POSTFIX_DSN.replace("Action: failed", "Action: delayed").replace(
        "Status: 5.1.1", "Status: 4.4.1")
    v = verdict(raw)
    assert (v.kind, v.may_auto_reply) == ("delay", False)
    assert has_reason(v, "Action delayed")


def test_success_notice_is_automatic_but_not_a_bounce() -> None:
    raw = POSTFIX_DSN.replace("Action: failed", "Action: relayed").replace(
        "Status: 5.1.1", "Status: 2.0.0")
    assert verdict(raw).kind == "auto_reply"


def test_exim_delay_warning_by_its_text() -> None:
    raw = EXIM_BOUNCE_PLAIN.replace("X-Failed-Recipients: sidorenko@rambler.ru\n", "").replace(
        "Mail delivery failed: returning message to sender", "Warning: message 1abc delayed 24 hours"
    ) + ("A message that you sent has not yet been delivered to one or more of its\n"
         "recipients after more than 24 hours on the queue on mx1.rambler.ru.\n")
    assert verdict(raw).kind == "delay"


def test_bounce_without_machine_headers_is_found_by_subject_and_text() -> None:
    raw = plain(sender="robot@relay.example", subject="Mail delivery failed: returning message"
                " to sender").replace(
        "Text.", "This message was created automatically by mail delivery software.\n\n"
        "A message that you sent could not be delivered to one or more of its recipients.")
    v = verdict(raw)
    assert (v.kind, v.may_auto_reply) == ("bounce", False)


@pytest.mark.parametrize(
    "body",
    [
        ("I use a challenge-response spam filter. Please confirm you are a human by clicking"
        " https://verify.example/c/1"),
        ("Здравствуйте! Ваше письмо будет доставлено только после подтверждения. Подтвердите, "
        "что вы не робот: https://antispam.example/c/1"),
    ],
)
def test_challenge_response(body: str) -> None:
    raw = plain("Auto-Submitted: auto-replied", subject="Re: Vopros").replace("Text.", body)
    assert verdict(raw).kind == "challenge"
    headerless = plain(subject="Please confirm your message").replace("Text.", body)
    assert verdict(headerless).kind == "challenge"


@pytest.mark.parametrize(
    "subject",
    ["Я в отпуске до 15.03", "В отпуске до 20 августа", "Out of office until March 10",
     "Нахожусь в командировке", "I am out of the office"],
)
def test_subjects_that_are_only_an_absence_notice(subject: str) -> None:
    msg = parse(plain())
    msg.replace_header("Subject", subject)
    v = detect_auto(msg, from_addr="parent@mail.example", own_addresses=OWN, own_domain=DOMAIN)
    assert v.kind == "auto_reply", v.reasons


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Я в отпуске до 15.03, как посмотреть оценки?", "Здравствуйте, подскажите."),
        ("Письмо не доставлено", ("Здравствуйте! Моё сообщение не доставлено учителю: "
         "«Ваше письмо не может быть доставлено», 550 5.1.1. Что делать?")),
        ("Почему письмо вернулось?", ("This message was created automatically by mail delivery"
         " software. A message that you sent could not be delivered.")),
        ("Подтвердить, что я не робот?", "Пришло письмо: подтвердите, что вы не робот."),
    ],
)
def test_people_who_write_about_machine_mail_stay_people(subject: str, body: str) -> None:
    msg = parse(plain().replace("Text.", body))
    msg.replace_header("Subject", subject)
    v = detect_auto(msg, from_addr="parent@mail.example", own_addresses=OWN, own_domain=DOMAIN)
    assert v == AutoVerdict("none", True, ())


def test_noreply_account_notice_is_not_a_challenge() -> None:
    raw = plain(sender="noreply@accounts.example", subject="Confirm your email").replace(
        "Text.", "Please click the link below to verify your email address. Add us to your "
        "safe senders list.")
    v = verdict(raw)
    assert (v.kind, v.may_auto_reply) == ("none", False)


def test_from_a_mail_system_name_without_an_address() -> None:
    msg = parse(plain().replace("From: parent@mail.example", "From: Mail Delivery System"))
    v = detect_auto(msg, from_addr="", own_addresses=OWN, own_domain=DOMAIN)
    assert v.kind == "bounce" and has_reason(v, "mail system")
