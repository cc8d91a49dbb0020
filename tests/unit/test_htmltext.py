"""HTML mail to readable text, on markup shaped like what Russian mail clients really send."""

from __future__ import annotations

import random
import re

import pytest

from mailbot.reading.htmltext import html_to_text

OUTLOOK = (
    '<html xmlns:v="urn:schemas-microsoft-com:vml"'
    ' xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:w="urn:schemas-microsoft-com:office:word"'
    ' xmlns:m="http://schemas.microsoft.com/office/2004/12/omml"'
    ' xmlns="http://www.w3.org/TR/REC-html40">\n<head>'
    '<meta http-equiv=Content-Type content="text/html; charset=windows-1251">\n'
    '<meta name=Generator content="Microsoft Word 15 (filtered medium)">\n<!--[if !mso]>'
    "<style>v\\:* {behavior:url(#default#VML);}\no\\:* {behavior:url(#default#VML);}\n</style>"
    "<![endif]--><style>"
    '<!--\n/* Font Definitions */\n@font-face\n\t{font-family:"Cambria Math";\n\tpanose-1:2 4 5 3'
    " 5 4 6 3 2 4;}\np.MsoNormal, li.MsoNormal,"
    " div.MsoNormal\n\t{margin:0cm;\n\tfont-size:11.0pt;\n"
    '\tfont-family:"Calibri",sans-serif;\n\tmso-'
    "fareast-language:EN-US;}\nspan.EmailStyle17\n\t{mso-style-type:personal-compose;}\n@page"
    " WordSection1\n\t{size:612.0pt 792.0pt;}\n--></style><!--[if gte mso 9]><xml>\n"
    '<o:shapedefaults v:ext="edit" spidmax="1026" />\n</xml><![endif]--><!--[if gte mso 9]>'
    '<xml>\n<o:shapelayout v:ext="edit">\n<o:idmap v:ext="edit" data="1" />\n</o:shapelayout>'
    "</xml><![endif]-->\n</head>\n"
    '<body lang=RU link="#0563C1" vlink="#954F72" style=\'word-wrap:break-word\'>\n'
    "<div class=WordSection1>\n<p class=MsoNormal>Добрый день, Елена Викторовна!<o:p></o:p>"
    "</p>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n"
    "<p class=MsoNormal>В электронном журнале 6&nbsp;«А» класса не&nbsp;сохраняются отметки"
    " за\nконтрольную работу:<o:p></o:p></p>\n"
    "<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'>"
    "<![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·"
    "<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; "
    "</span></span></span><![endif]>браузер Яндекс, последняя версия;<o:p></o:p></p>\n"
    "<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'>"
    "<![if !supportLists]><span style='font-family:Symbol'><span style='mso-list:Ignore'>·"
    "<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; "
    "</span></span></span><![endif]>кэш очищала.<o:p></o:p></p>\n<p class=MsoNormal>"
    "<o:p>&nbsp;</o:p></p>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n<p class=MsoNormal>"
    "<o:p>&nbsp;</o:p></p>\n<p class=MsoNormal>С уважением,<o:p></o:p></p>\n"
    "<p class=MsoNormal>учитель математики Кузнецова О.Н.<o:p></o:p></p>\n<p class=MsoNormal>"
    '<img width=120 height=40 id="Рисунок_x0020_1" src="cid:image001.png@01DA1B2C.3D4E5F60"'
    ' alt="image001.png"><o:p></o:p></p>\n<div>'
    "<div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>\n"
    "<p class=MsoNormal><b>От:</b> Смирнова Елена &lt;smirnova@school.example&gt; <br>"
    "<b>Отправлено:</b> 9 апреля 2026 г. 17:30<br><b>Кому:"
    "</b> Кузнецова О.Н. &lt;kuznetsova@school.example&gt;<br><b>Тема:</b> Отметки<o:p></o:p>"
    "</p>\n</div></div>\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n"
    "<p class=MsoNormal>Ольга Николаевна, проверьте, пожалуйста.<o:p></o:p></p>\n</div></body>"
    "</html>"
)


def test_outlook_word_html() -> None:
    text = html_to_text(OUTLOOK)
    lines = text.split("\n")
    assert lines[0] == "Добрый день, Елена Викторовна!"
    assert lines[1] == ""  # the <p>&nbsp;</p> Outlook writes for an empty line
    assert "В электронном журнале 6 «А» класса не сохраняются отметки за контрольную работу:" in (
        lines
    )
    assert "- браузер Яндекс, последняя версия;" in lines
    assert "- кэш очищала." in lines
    assert "От: Смирнова Елена <smirnova@school.example>" in lines
    assert "Отправлено: 9 апреля 2026 г. 17:30" in lines
    assert lines[-1] == "Ольга Николаевна, проверьте, пожалуйста."
    for junk in ("font-family", "MsoNormal", "o:p", "shapedefaults", "Word 15", "image001", "{"):
        assert junk not in text
    assert "\n\n\n" not in text
    assert "С уважением,\nучитель математики Кузнецова О.Н." in text


GMAIL = (
    '<div dir="ltr"><div>Здравствуйте!</div><div><br></div>'
    "<div>Ребёнок не видит домашнее задание по\u00a0<b>алгебре</b> в приложении, вот "
    '<a href="https://disk.yandex.ru/i/Xy7Qa1b">скриншот</a>.</div>'
    "<div>Инструкцию смотрела тут: "
    '<a href="https://school.example/help">https://school.example/help</a></div><div><br>'
    "</div><div>Спасибо,</div><div>Анна&nbsp;Петрова</div><div><br></div>"
    '<span class="gmail_signature_prefix">-- </span><br>'
    '<div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">мама Пети'
    ' Петрова, 5 «Б»</div></div><br><div class="gmail_quote">'
    '<div dir="ltr" class="gmail_attr">пт, 15 мар. 2026 г. в 10:15, Школа 12 &lt;'
    '<a href="mailto:help@school.example">help@school.example</a>&gt;:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid'
    ' rgb(204,204,204);padding-left:1ex"><div dir="ltr">Добрый день.'
    "<div>Уточните, пожалуйста, класс и&nbsp;предмет.</div><div><br></div>"
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    '<div dir="auto">Не вижу домашку</div></blockquote></div></blockquote></div>'
)


def test_gmail_reply_with_nested_quotes() -> None:
    text = html_to_text(GMAIL)
    assert text.startswith("Здравствуйте!\n\nРебёнок не видит домашнее задание по алгебре")
    assert "вот скриншот (https://disk.yandex.ru/i/Xy7Qa1b)." in text
    # a link whose text is its own address is not repeated
    assert "Инструкцию смотрела тут: https://school.example/help\n" in text
    assert "Анна Петрова" in text
    assert "пт, 15 мар. 2026 г. в 10:15, Школа 12 <help@school.example>:" in text
    lines = text.split("\n")
    assert "> Добрый день." in lines
    assert "> Уточните, пожалуйста, класс и предмет." in lines
    assert "> > Не вижу домашку" in lines
    assert not any(line.endswith(" ") for line in lines)


MAILRU = (
    "<HTML><BODY><div>Добрый вечер!</div><div>&nbsp;</div>"
    "<div>Оценки сына за четверть не совпадают с тем, что говорит учитель:<ul>"
    "<li>Математика &mdash; 4, а должно быть 5;</li><li>Русский язык &mdash; нет оценки"
    "<li>История</ul></div><div>&nbsp;</div><div>&nbsp;</div><div>--"
    "<br>Отправлено из мобильной Почты Mail.ru</div><div>&nbsp;</div>"
    '<div class="mail-quote-collapse">Четверг, 9 апреля 2026, 17:30 +05:00 от Школа №12 &lt;'
    '<a href="mailto:school12@example.ru">school12@example.ru</a>&gt;:<br>&nbsp;'
    '<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">'
    '<div id=""><div class="js-helper js-readmsg-msg"><div>'
    '<div id="style_17755_BODY">Уважаемые родители!<br><br><br>'
    "<br>Собрание состоится в&nbsp;пятницу в 18:00.<br>Классный руководитель</div></div>"
    "</div></div></blockquote></div></BODY></HTML>"
)


def test_mailru_reply_with_list_and_quote() -> None:
    text = html_to_text(MAILRU)
    lines = text.split("\n")
    assert lines[:3] == [
        "Добрый вечер!",
        "",
        "Оценки сына за четверть не совпадают с тем, что говорит учитель:",
    ]
    assert "- Математика — 4, а должно быть 5;" in lines
    assert "- Русский язык — нет оценки" in lines  # unclosed <li> still ends the item
    assert "- История" in lines
    assert "Отправлено из мобильной Почты Mail.ru" in lines
    assert "Четверг, 9 апреля 2026, 17:30 +05:00 от Школа №12 <school12@example.ru>:" in lines
    quoted = [line for line in lines if line.startswith(">")]
    assert quoted == [
        "> Уважаемые родители!",
        ">",
        "> Собрание состоится в пятницу в 18:00.",
        "> Классный руководитель",
    ]
    assert "\n\n\n" not in text


YANDEX = (
    "<div>Здравствуйте, подскажите как привязать второго ребенка к&nbsp;учетной записи?</div>"
    "<div>&nbsp;</div><div>Заранее спасибо!</div><div>&nbsp;</div><div>-- </div>"
    "<div>Отправлено из мобильной Яндекс Почты</div><div>&nbsp;</div>"
    '<div>04.05.2026, 18:58, "Служба поддержки" &lt;support@example.ru&gt;:</div><blockquote>'
    "<div>Ответьте на это письмо, указав ФИО ребёнка.</div></blockquote>"
)


def test_yandex_reply() -> None:
    text = html_to_text(YANDEX)
    assert text.split("\n") == [
        "Здравствуйте, подскажите как привязать второго ребенка к учетной записи?",
        "",
        "Заранее спасибо!",
        "",
        "--",
        "Отправлено из мобильной Яндекс Почты",
        "",
        '04.05.2026, 18:58, "Служба поддержки" <support@example.ru>:',
        "> Ответьте на это письмо, указав ФИО ребёнка.",
    ]


THUNDERBIRD = """<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
  </head>
  <body>
    <p>Коллеги, добрый день.</p>
    <p>Сводная ведомость за 2 четверть не выгружается в Excel,<br>
      ошибка 500.</p>
    <div class="moz-cite-prefix">01.04.2026 10:15, Иванов И.И. пишет:<br>
    </div>
    <blockquote type="cite" cite="mid:abc@example.ru">
      <p>Попробуйте ещё раз после обновления.</p>
    </blockquote>
    <pre class="moz-signature" cols="72">-- 
Завуч по УВР
  тел. 8 (342) 000-00-00</pre>
  </body>
</html>"""


def test_thunderbird_paragraphs_quote_and_pre_signature() -> None:
    text = html_to_text(THUNDERBIRD)
    assert text.split("\n") == [
        "Коллеги, добрый день.",
        "",
        "Сводная ведомость за 2 четверть не выгружается в Excel,",
        "ошибка 500.",
        "",
        "01.04.2026 10:15, Иванов И.И. пишет:",
        "> Попробуйте ещё раз после обновления.",
        "--",
        "Завуч по УВР",
        "  тел. 8 (342) 000-00-00",
    ]


def test_new_outlook_reply_header_after_hr() -> None:
    markup = (
        '<div dir="ltr">Перезагрузила, не помогло.</div>'
        '<hr style="display:inline-block;width:98%" tabindex="-1">'
        '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" '
        'style="font-size:11pt" color="#000000"><b>От:</b> Поддержка ЭПОС '
        "&lt;help@example.ru&gt;<br><b>Отправлено:</b> 3 апреля 2026 г. 9:12<br>"
        "<b>Тема:</b> RE: вход</font><div>&nbsp;</div></div><div>Старое письмо</div>"
    )
    lines = html_to_text(markup).split("\n")
    hr_index = lines.index("_" * 32)
    assert lines[hr_index - 1] == "Перезагрузила, не помогло."
    assert lines[hr_index + 1] == "От: Поддержка ЭПОС <help@example.ru>"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("<a href='https://gosuslugi.ru/'>Госуслуги</a>", "Госуслуги (https://gosuslugi.ru/)"),
        ("<a href='https://gosuslugi.ru/'>https://gosuslugi.ru</a>", "https://gosuslugi.ru"),
        ("<a href='https://www.gosuslugi.ru'>www.gosuslugi.ru</a>", "www.gosuslugi.ru"),
        ("<a href='mailto:zavuch@school.example?subject=Hi'>завучу</a>",
         "завучу (zavuch@school.example)"),
        ("<a href='mailto:zavuch@school.example'>zavuch@school.example</a>",
         "zavuch@school.example"),
        ("<a href='javascript:void(0)'>Открыть</a>", "Открыть"),
        ("<a href='#top'>Наверх</a>", "Наверх"),
        ("<a href='tel:+73420000000'>позвонить</a>", "позвонить"),
        ("<a href='https://x.example/track?id=1&amp;u=2'><img src='b.png' alt=''></a>", ""),
        ("<a name='anchor'/>Текст", "Текст"),
    ],
)  # fmt: skip
def test_links(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_link_url_entities_are_decoded() -> None:
    text = html_to_text("<a href='https://school.example/?a=1&amp;b=2'>расписание</a>")
    assert text == "расписание (https://school.example/?a=1&b=2)"


@pytest.mark.parametrize(
    ("markup", "expected"),
    [
        ("Вот <img src='cid:1' alt='Схема проезда'> к школе", "Вот [Схема проезда] к школе"),
        ("Вот <img src='cid:1' alt='image001.png'> к школе", "Вот к школе"),
        ("Вот <img src='cid:1' alt=''> к школе", "Вот к школе"),
        ("Вот <img src='cid:1'> к школе", "Вот к школе"),
        ("Вот <img src='cid:1' alt='Логотип'> к школе", "Вот к школе"),
        ("<img src='pixel.gif' width=1 height=1 alt='*'>Привет", "Привет"),
    ],
)
def test_images(markup: str, expected: str) -> None:
    assert html_to_text(markup) == expected


def test_entities() -> None:
    markup = (
        "<p>&laquo;Электронный&nbsp;дневник&raquo; &mdash; раздел &quot;Оценки&quot;, "
        "&#8470;&nbsp;5, &#x44F;, 5 &lt; 6 &amp;&amp; AT&T, &copy; школа, &hellip;</p>"
    )
    assert html_to_text(markup) == (
        '«Электронный дневник» — раздел "Оценки", № 5, я, 5 < 6 && AT&T, © школа, …'
    )


def test_whitespace_inside_text_is_collapsed_and_invisible_chars_dropped() -> None:
    markup = "<div>  Не \n\n   могу\t\tвойти\u200b \u00a0 в   ЭЖ  </div>\n\n<div>\n</div>"
    assert html_to_text(markup) == "Не могу войти в ЭЖ"


def test_inline_tags_do_not_add_or_remove_spaces() -> None:
    markup = "<b>Иванов</b><i>а</i> Мария, <span>5</span> <span>«Б»</span> класс"
    assert html_to_text(markup) == "Иванова Мария, 5 «Б» класс"


def test_never_more_than_one_empty_line() -> None:
    markup = "<p>Раз</p><p></p><p>&nbsp;</p><br><br><br><div><br></div><div>&nbsp;</div><p>Два</p>"
    assert html_to_text(markup) == "Раз\n\nДва"


def test_head_title_style_script_and_comments_are_dropped() -> None:
    markup = (
        "<html><head><title>Письмо</title><style>.a{color:red}</style></head><body>"
        "<script>document.write('<p>злой код</p>')</script><!-- комментарий -->"
        "<!--[if mso]><p>только для Outlook</p><![endif]-->Текст письма</body></html>"
    )
    assert html_to_text(markup) == "Текст письма"


def test_body_text_without_body_tag_after_head() -> None:
    assert html_to_text("<head><meta charset=utf-8><title>x</title>Текст без body") == (
        "Текст без body"
    )


def test_hidden_preheader_is_dropped_but_not_all_text() -> None:
    markup = (
        "<div style='display:none;max-height:0;overflow:hidden'>Предпросмотр рассылки</div>"
        "<div>Собрание перенесено на среду.</div>"
    )
    assert html_to_text(markup) == "Собрание перенесено на среду."
    assert html_to_text("<div style='DISPLAY: NONE'>Всё письмо скрыто</div>") == (
        "Всё письмо скрыто"
    )


def test_pre_keeps_lines_and_indentation() -> None:
    markup = "<pre>\nЛогин:  ivanov\n    Роль: родитель\t\n</pre><p>Спасибо</p>"
    assert html_to_text(markup) == "Логин:  ivanov\n    Роль: родитель\n\nСпасибо"


def test_typed_bullets_become_dashes_but_paragraph_signs_stay() -> None:
    markup = "<div>• первый пункт</div><div>§ 5 Положения о журнале</div>"
    assert html_to_text(markup) == "- первый пункт\n§ 5 Положения о журнале"


def test_table_cells_and_rows() -> None:
    markup = (
        "<table><tr><th>Предмет</th><th>Оценка</th></tr>"
        "<tr><td>Алгебра</td><td>5</td></tr><tr><td>&nbsp;</td><td>Геометрия"
        "</td></tr></table>"
    )
    assert html_to_text(markup) == "Предмет | Оценка\nАлгебра | 5\nГеометрия"


def test_ordered_and_nested_lists() -> None:
    markup = (
        "<ol><li>Зайдите на Госуслуги<li>Откройте ЭПОС<ul><li>раздел «Дневник»</li></ul>"
        "</li><li>Нажмите «Войти»</li></ol>"
    )
    assert html_to_text(markup).split("\n") == [
        "1. Зайдите на Госуслуги",
        "2. Откройте ЭПОС",
        "  - раздел «Дневник»",
        "3. Нажмите «Войти»",
    ]


@pytest.mark.parametrize(
    "markup",
    [
        "<div>Первая строка<p>Вторая <b>жирная<i> строка<table><tr><td>Ячейка",
        "</div></div></p>Текст</td></tr>после<b>",
        "<p>Текст <style>p{color:red}",
        "<a href='http://x.example'>ссылка без конца",
        '<div class="a>Текст</div>',
        "<<<>>>&&&;;;</ >< / ><!-- <![endif]--> Текст",
        "<!--[if mso]>Незакрытый условный комментарий",
        "<blockquote><blockquote>Глубокая цитата",
        "\x00<p>\udcffТекст\ufffd</p>",
        "",
    ],
)
def test_broken_html_never_raises(markup: str) -> None:
    assert isinstance(html_to_text(markup), str)


def test_broken_html_keeps_its_text() -> None:
    text = html_to_text("<div>Первая строка<p>Вторая <b>жирная<i> строка<table><tr><td>Ячейка")
    assert text == "Первая строка\n\nВторая жирная строка\nЯчейка"
    # stray end tags are ignored, as browsers do
    assert html_to_text("</div></div></p>Текст</td></tr> и<div>после") == "Текст и\nпосле"


def test_random_markup_soup_never_raises() -> None:
    rng = random.Random(42)
    parts = ["<", ">", "/", "div", "p", "a href='", "'", '"', "=", "&", "nbsp;", "&#", "x", "--",
             "<!--", "-->", "<![", "]]>", "blockquote", "pre", "li", "ol", "td", "tr", "table",
             "style", "script", "head", "img alt=", " ", "\n", "текст", "\udcf0"]  # fmt: skip
    for _ in range(500):
        markup = "".join(rng.choice(parts) for _ in range(rng.randrange(80)))
        assert isinstance(html_to_text(markup), str)


def test_plain_text_without_tags_passes_through() -> None:
    assert html_to_text("Просто текст, без разметки.") == "Просто текст, без разметки."


def test_large_mail_is_read_whole() -> None:
    chunk = OUTLOOK + GMAIL + MAILRU
    markup = chunk * (200_000 // len(chunk) + 1)
    assert len(markup) >= 200_000
    text = html_to_text(markup)
    assert text.count("Добрый день, Елена Викторовна!") == markup.count(
        "Добрый день, Елена Викторовна!"
    )
    assert not re.search(r"\n\n\n", text)
