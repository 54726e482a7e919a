from __future__ import annotations

from datetime import UTC, datetime

import pytest

from monitor.classify import classify

PUB = datetime(2026, 7, 2, 5, 0, tzinfo=UTC)


def test_troops_near_zhezkazgan_is_an_alarm_with_explanations() -> None:
    title = "Колонна Нацгвардии встала лагерем у въезда в Жезказган"
    text = (
        "Около сорока грузовиков внутренних войск разбили палаточный лагерь в 12 км от Жезказгана накануне "
        "митинга металлургов и горняков Казахмыса, назначенного на 6 июля."
    )
    c = classify(title, text, PUB)
    assert c.relevant and c.severity == "alarm" and c.score >= 0.5
    assert "KazakhMys" in c.entities["organizations"] and "Zhezkazgan" in c.entities["places"]
    assert any(m.category == "alarm" and m.field == "title" for m in c.matches)
    for m in c.matches:  # every match points at the characters it explains
        assert (title if m.field == "title" else text)[m.start : m.end] == m.text
    assert any(d.date == "2026-07-06" and d.kind == "demonstration" for d in c.dates_mentioned)


def test_kazakh_strike_notice() -> None:
    c = classify("Қазақмыс жұмысшылары 21 шілдеден бастап ереуілге шығады", "", PUB)
    assert c.relevant and c.language == "kk" and "strike" in c.topics
    assert [d.date for d in c.dates_mentioned] == ["2026-07-21"]
    assert c.dates_mentioned[0].kind == "strike"


def test_postponement_is_marked() -> None:
    c = classify(
        "Собрание рабочих Казахмыса перенесено", "Собрание рабочих, назначенное на 4 июля, перенесено на 11 июля.", PUB
    )
    assert all(d.cancelled for d in c.dates_mentioned)


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Медь на LME подорожала до 9800 долларов",
            "Цены на медь выросли на 3% на фоне спроса в Китае. Казахмыс — один из производителей меди.",
        ),
        ("В Сатпаеве отметили 127-летие Каныша Сатпаева", "В музее академика Каныша Сатпаева открылась выставка."),
        ("На улице Сатпаева открылся книжный магазин", "Магазин на улице Сатпаева в Алматы работает ежедневно."),
        (
            "Забастовка транспортников во Франции",
            "В Париже и Марселе бастуют водители; забастовка до пятницы.",
        ),
        ("Протестантская церковь провела концерт", "Протестантская община Караганды пригласила горожан на концерт."),
        ("ФК «Улытау» обыграл соперника", "Жезказганский клуб «Улытау» выиграл со счетом 2:0, назначен штрафной."),
        ("Жезқазғанда аптап ыстық", "Төтенше жағдайлар департаменті тұрғындарды суды көп ішуге шақырды."),
    ],
)
def test_hard_negatives_are_not_relevant(title: str, text: str) -> None:
    c = classify(title, text, PUB)
    assert not c.relevant, c.reasons
    assert c.score < 0.5 and c.severity is None


def test_bad_input_never_raises() -> None:
    for title, text in [("", ""), ("\x00\x01", "\ufffd" * 1000), ("<script>alert(1)</script>", "<p>html</p>" * 100)]:
        c = classify(title, text, PUB)
        assert c.relevant is False
    huge = "Забастовка на заводе Казахмыс. " * 40_000  # ~1.2 MB
    assert classify("Казахмыс", huge, PUB).relevant


def test_a_read_also_line_is_not_the_article() -> None:
    """A weather repost whose only labour words sit in «Читайте также: <another headline>» is not relevant; the
    same headline as the article's own text is. Offsets of the other matches still point at their characters."""
    body = "В Жезказгане и Сатпаеве ночью до −8 °C, местами мокрый снег.\n\nФото: pixabay"
    chrome = (
        "\n\nЧитайте также: Горняки Южного рудника отказались спускаться в шахту"
        "\n\nОқи отырыңыз:\nКеншілер ереуілге шықты"
    )
    c = classify("В Жезказгане ожидается первый снег", body + chrome, PUB)
    assert not c.relevant and not c.topics
    for m in c.matches:
        assert (body + chrome)[m.start : m.end] == m.text
    assert classify("Горняки Южного рудника отказались спускаться в шахту", body, PUB).relevant


def test_a_bulleted_list_of_other_headlines_is_chrome_too() -> None:
    """Every bullet of a «read also» list is another story; the article's own list after a paragraph is not."""
    body = "В Балхаше открылся пляжный сезон, вода прогрелась до +22 °C."
    chrome = (
        "\n\nОқи отырыңыз:\n— Балқаш зауытының жұмысшылары басқармаға жиналды\n— Жезқазғанда кеншілер жалақыны "
        "көтеруді талап етті\n\nЧитайте также:\n\n▸ Горняки Сатпаева остались в шахте\n▸ Рабочие требуют зарплату"
        "\n\nКөп оқылғандар:\n1. Кеншілер ереуілге шықты\n2. Балқашта үш жұмысшы газдан уланды"
    )
    c = classify("Пляжный сезон в Балхаше", body + chrome, PUB)
    assert not c.relevant and not c.topics
    own = "Горняки рудника в Сатпаеве выдвинули требования:\n— погасить долги по зарплате\n— не увольнять бригадиров"
    assert classify("Требования горняков", own, PUB).relevant
    # a list title opening a sentence of the article is the article
    assert classify("Забастовка", "Популярное решение: горняки Сатпаева объявили забастовку.", PUB).relevant


@pytest.mark.parametrize(
    ("title", "relevant"),
    [
        ("Водители автобусов в Таразе жалуются на задержку зарплаты", True),
        ("Медбикелер Ақтөбеде үш ай бойы жалақы ала алмай отыр", True),
        ("Жители Тараза жалуются на ямы во дворах", False),  # a complaint, but not of employees
        ("Болельщики требуют отставки тренера «Кайрата»", False),
    ],
)
def test_employees_complaining_are_labour_evidence(title: str, relevant: bool) -> None:
    assert classify(title, "", PUB).relevant is relevant


def test_curfew_for_minors_is_no_alarm_but_a_curfew_is() -> None:
    minors = classify("В Сатпаеве выявили 14 подростков, нарушивших комендантский час", "", PUB)
    assert not minors.relevant and not minors.alarms
    assert classify("В Сатпаеве ввели комендантский час", "", PUB).severity == "alarm"


def test_both_kazakh_latin_alphabets_fold_the_dotless_i() -> None:
    """ı is и in the 2018 alphabet («jınaldy» = жиналды) and і in the 2021 one («käsıpodaq» = кәсіподақ): both
    fold to the same letter as the Cyrillic, so one lexicon entry serves all three spellings."""
    assert classify("Jezqazǵanda kenshiler jalaqyny ındeksatsıalaýdy talap etip jınaldy", "", PUB).relevant
    assert "repression" in classify("Jañaözende käsıpodaq jetekşısı ūstaldy", "", PUB).topics


def test_latin_kazakh_that_writes_y_as_dotless_i_matches_too() -> None:
    """Some sites write ы with ı too («narazılıq» = наразылық, «jūmıssız» = жұмыссыз): matching folds ы to и, so
    the Cyrillic entries cover them."""
    got = classify("Aqtauda narazılıq aktsiiasına şıqqan mūnaişılar polisiiağa jetkizildi", "", PUB)
    assert got.relevant and "protest" in got.topics


def test_a_watched_company_in_a_production_report_is_business_news() -> None:
    """KazakhMys as the subject makes an article relevant (a new director, a new collective agreement) unless the
    article is a production, earnings or price report with no labour topic in it."""
    output = classify(
        "«Казахмыс» нарастил выпуск катодной меди на 4% в третьем квартале",
        "Корпорация «Казахмыс» за июль–сентябрь произвела 62 тысячи тонн катодной меди.",
        PUB,
    )
    assert not output.relevant
    assert classify("В «Казахмысе» сменился директор Жезказганского комплекса", "«Казахмыс» сообщил.", PUB).relevant
    strike = classify("«Казахмыс» снизил выпуск меди из-за забастовки горняков", "", PUB)
    assert strike.relevant and "strike" in strike.topics


def test_company_news_of_grants_and_festivities_is_not_the_desks() -> None:
    """KazakhMys as the subject of a scholarship or concert story is company news; with a labour topic it counts."""
    grant = "Корпорация «Казахмыс» выделила гранты 150 выпускникам школ Сатпаева. Казахмыс оплатит обучение."
    assert not classify("Казахмыс выделил гранты выпускникам", grant, PUB).relevant
    strike = grant + " Тем временем горняки рудника объявили забастовку: Казахмыс задерживает зарплату."
    c = classify("Казахмыс выделил гранты выпускникам", strike, PUB)
    assert c.relevant and "strike" in c.topics


def test_a_union_leaders_dismissal_is_pressure_not_a_layoff() -> None:
    """«Уволен» next to a union leader makes every dismissal word of the article count as repression; job cuts
    stay layoffs even when a union leader is quoted on them, in Russian and in Kazakh."""
    fired = classify(
        "В Караганде уволили председателя профкома литейного завода",
        "Председатель профсоюзного комитета литейного завода Сергей Ким уволен с формулировкой «за нарушения».\n\n"
        "По словам рабочих, приказ об увольнении вручили после его жалобы в инспекцию труда.",
        PUB,
    )
    assert "repression" in fired.topics and "layoffs_closure" not in fired.topics
    assert {m.entry for m in fired.matches if m.term in ("уволен*", "увольнени*")} == {"repression"}
    kazakh = classify(
        "Екібастұзда кәсіподақ төрағасы жұмыстан шығарылды",
        "Зауыттың тәуелсіз кәсіподағының төрағасы жұмыстан шығарылды. Басшылық жұмыстан шығару заңды дейді.",
        PUB,
    )
    assert "repression" in kazakh.topics and "layoffs_closure" not in kazakh.topics
    cuts = classify(
        "На медеплавильном заводе сократят 300 рабочих",
        "Председатель профкома завода заявил, что сокращение 300 рабочих и увольнение водителей незаконны.",
        PUB,
    )
    assert "layoffs_closure" in cuts.topics


def test_a_formal_labour_dispute_is_labour_evidence_but_no_protest() -> None:
    """A collective labour dispute or complaint is a procedure: it makes a report ours, not a protest."""
    got = classify(
        "Профсоюз энергоремонтников Экибастуза инициировал коллективный трудовой спор",
        "Профсоюз работников энергоремонтного предприятия направил работодателю требования о повышении зарплаты и "
        "инициировал коллективный трудовой спор. Создана примирительная комиссия, в неё вошли представители рабочих.",
        PUB,
    )
    assert got.relevant and "protest" not in got.topics


@pytest.mark.parametrize(
    "title",
    [
        "Ақтауда әкімдік алдына жиналған жұмысшылардың бесеуі полицияға жеткізілді",
        "Aqtauda narazylyq aktsiiasyna shyqqan munaishylar polisiiaga jetkizildi",
        "Kazakhstan refuses to register independent union of Kazakhmys miners",
        "Суд ликвидировал независимый профсоюз нефтяников в Атырау",
        "В Сатпаеве председателя профкома уволили за «прогул» в день профсоюзного собрания",
    ],
)
def test_pressure_on_unions_in_other_words_is_repression(title: str) -> None:
    """Taken to the police after a rally, a union refused registration or dissolved, a union leader fired (the
    words in any order): repression, in Russian, Kazakh in both scripts and English."""
    got = classify(title, "", PUB)
    assert "repression" in got.topics and "layoffs_closure" not in got.topics, got.topics


@pytest.mark.parametrize(
    ("title", "text", "relevant"),
    [
        # no Kazakh place named: the legal form «ТОО» and the tenge place the dispute in Kazakhstan
        ("Работники ТОО «КаспийСервис» прекратили работу", "Они требуют выплатить долги по зарплате, 40 млн тенге.",
         True),
        # Kazakh-language news is about Kazakhstan unless it names a place abroad ...
        ("Кеншілер үшінші тәулік жер астынан шықпай отыр", "", True),
        # ... and a strike abroad stays abroad in Kazakh too
        ("Францияда теміржолшылар ереуілге шықты", "Франция теміржолшылары жалақыны көтеруді талап етіп отыр.", False),
        # «Самое читаемое: …» on one line is a list of other stories, not this article's evidence
        ("В Балхаше завершился фестиваль", "Фестиваль собрал 15 тысяч гостей.\n\nСамое читаемое: Горняки "
         "Жезказгана вышли на забастовку · В Темиртау задержали профсоюзного лидера", False),
    ],
)  # fmt: skip
def test_a_labour_report_is_placed_in_kazakhstan_by_more_than_place_names(
    title: str, text: str, relevant: bool
) -> None:
    assert classify(title, text, PUB).relevant is relevant


def test_workers_writing_to_the_president_is_an_appeal_not_politics() -> None:
    c = classify("Горняки рудника записали видеообращение к президенту", "Рабочие рудника в Хромтау просят "
                 "президента и министра труда разобраться с расценками.", PUB)  # fmt: skip
    assert c.relevant and "protest" in c.topics and "politics" not in c.topics
    # a minister doing politics stays politics
    c = classify("Министр труда внёс в мажилис поправки о забастовках", "Рабочие профсоюзы раскритиковали проект.")
    assert "politics" in c.topics


def test_police_sent_against_a_gathering_is_protest_and_repression() -> None:
    c = classify("К проходной медеплавильного завода в Балхаше стянули полицию", "Металлурги требуют индексации.", PUB)
    assert c.severity == "alarm" and {"protest", "repression"} <= set(c.topics)
    c = classify("В Сатпаеве полиция окружила бастующих горняков", "Горняки рудника бастуют третий день.", PUB)
    assert "strike" in c.topics and "protest" not in c.topics  # a strike policed is still a strike


def test_one_stoppage_is_evidence_but_one_union_named_is_not() -> None:
    c = classify("Ситуация на ТЭЦ в Экибастузе", "Утром работники ТЭЦ не вышли на смену. Руководство ведёт переговоры.")
    assert c.relevant and c.topics == ["strike"]
    c = classify("В Темиртау прошёл детский турнир", "Турнир для детей работников прошёл при поддержке профсоюза.")
    assert not c.relevant


def test_chrome_led_by_an_emoji_and_a_market_rally_are_not_labour_news() -> None:
    post = ("Жезқазғанның орталығында жаңа кофехана ашылды.\n\n📌 Оқи отырыңыз: «Кеншілер жер астына түспей қойды» · "
            "«Мұнайшылар ұсталды»\n\nБізге жазылыңыз 👉")  # fmt: skip
    assert not classify("Жезқазғанда жаңа кофехана ашылды", post, PUB).relevant
    market = classify("Медь у исторических максимумов", "Кто выиграет от ралли: Казахмыс и экспортёры меди.", PUB)
    assert "protest" not in market.topics and not market.relevant
    assert "protest" in classify("Miners hold a rally in Zhezkazgan", "", PUB).topics


def test_readers_comments_are_not_the_article() -> None:
    text = ("В Сатпаеве прошёл фестиваль любительских театров.\n\nКомментарии (2)\nСерик: Лучше бы про бастующих "
            "горняков «Казахмыса» спектакль поставили.\nЖанна: Гордимся!")  # fmt: skip
    c = classify("В Сатпаеве прошёл фестиваль театров", text, PUB)
    assert not c.relevant and not c.topics


def test_a_watched_activist_summoned_by_police_is_repression() -> None:
    c = classify("Берика Жагипарова снова вызвали в полицию", "", PUB)
    assert c.relevant and "repression" in c.topics
    assert "repression" not in classify("Мошенника вызвали в полицию в Сатпаеве", "", PUB).topics


def test_a_related_block_and_a_victory_day_ceremony_are_not_labour_news() -> None:
    school = ("Балқашта жаңа мектеп ашылды.\n\nҰқсас жаңалықтар:\nБалқаш мыс зауытында 200 адам қысқартылуы мүмкін\n"
              "Қала тұрғындары ыстық судың жоқтығына шағымданды")  # fmt: skip
    assert not classify("Балқашта жаңа мектеп ашылды", school, PUB).relevant
    ceremony = (
        "Балқашта Жеңіс күніне арналған салтанатты митинг болды. Соғыста қаза тапқандарды еске алды, "
        "әскери-патриоттық клуб көрсетілім ұйымдастырды. Соғыс жылдарында мыс зауыты майданға металл берді."
    )
    assert not classify("Балқашта Жеңіс күніне арналған митинг өтті", ceremony, PUB).relevant


def test_a_results_report_naming_labour_safety_once_is_not_labour_news() -> None:
    report = ("KAZ Minerals бірінші жартыжылдықта 200 мың тонна мыс өндірді. Есепте еңбек қауіпсіздігі және "
              "экология бойынша атқарылған жұмыстар да аталған.")  # fmt: skip
    assert not classify("KAZ Minerals жартыжылдық көрсеткіштерін жариялады", report, PUB).relevant
