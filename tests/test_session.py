from kiosk.session import Feature, Screen, Session


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def make(idle: float = 60, countdown: float = 10) -> tuple[Session, FakeClock]:
    clock = FakeClock()
    return Session(("vi", "en", "kpm"), idle, countdown, clock=clock), clock


def test_take_a_number_journey() -> None:
    s, _ = make()
    assert s.screen is Screen.ATTRACT
    s.start()
    assert s.screen is Screen.LANGUAGE
    s.choose_language("kpm")
    assert (s.screen, s.lang) == (Screen.HOME, "kpm")
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.screen is Screen.SERVICES
    assert s.choose_service("A")
    assert not s.choose_service("A"), "a second tap while issuing must not issue twice"
    assert s.ticket_issued("ticket-A001", s.visit)
    assert s.screen is Screen.TICKET and s.data.ticket == "ticket-A001"
    s.finish()
    assert s.screen is Screen.ATTRACT and s.data.ticket is None and s.lang == "vi"


def test_back_and_home() -> None:
    s, _ = make()
    s.start()
    s.choose_language("en")
    s.open_feature(Feature.PROCEDURES)
    assert s.screen is Screen.UNAVAILABLE
    s.back()
    assert s.screen is Screen.HOME
    s.back()
    assert s.screen is Screen.LANGUAGE
    s.back()
    assert s.screen is Screen.LANGUAGE, "back never leads to the attract screen"
    s.choose_language("en")
    s.open_feature(Feature.TAKE_NUMBER)
    s.home()
    assert s.screen is Screen.HOME
    s.back()
    assert s.screen is Screen.LANGUAGE


def test_back_from_ticket_goes_home_not_to_services() -> None:
    s, _ = make()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    s.choose_service("B")
    s.ticket_issued("t", s.visit)
    s.back()
    assert s.screen is Screen.HOME


def test_language_button_wipes_the_visit() -> None:
    s, _ = make()
    s.start()
    s.choose_language("en")
    s.open_feature(Feature.TAKE_NUMBER)
    s.choose_service("A")
    s.ticket_issued("t", s.visit)
    s.change_language()
    assert s.screen is Screen.LANGUAGE
    assert s.data.ticket is None and s.data.service is None


def test_contrast_lasts_for_the_visit_and_survives_the_language_button() -> None:
    s, _ = make()
    s.start()
    assert not s.high_contrast
    s.toggle_contrast()
    s.next_text_size()
    s.choose_language("en")
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.high_contrast and s.text_scale == 1.25
    s.change_language()  # the same person, choosing another language
    assert s.high_contrast and s.text_scale == 1.25 and s.screen is Screen.LANGUAGE
    s.toggle_contrast()
    assert not s.high_contrast
    s.toggle_contrast()
    s.end()  # the next citizen starts with the normal look
    assert not s.high_contrast and s.text_scale == 1.0


def test_idle_warning_then_reset() -> None:
    s, clock = make(idle=60, countdown=10)
    s.start()
    s.choose_language("en")
    clock.now = 59.9
    s.tick()
    assert not s.idle_warning
    clock.now = 60
    s.tick()
    assert s.idle_warning and s.countdown_left() == 10
    clock.now = 65.5
    s.tick()
    assert s.countdown_left() == 5
    clock.now = 70
    s.tick()
    assert s.screen is Screen.ATTRACT and s.lang == "vi" and not s.idle_warning
    assert s.sessions_ended == 1


def test_touch_during_warning_keeps_the_visit() -> None:
    s, clock = make(idle=60, countdown=10)
    s.start()
    s.choose_language("kpm")
    clock.now = 61
    s.tick()
    assert s.idle_warning
    s.touch()
    assert not s.idle_warning
    clock.now = 100
    s.tick()
    assert s.screen is Screen.HOME and s.lang == "kpm"


def test_attract_never_times_out() -> None:
    s, clock = make()
    clock.now = 10_000
    s.tick()
    assert s.screen is Screen.ATTRACT and not s.idle_warning


def test_late_ticket_is_not_shown_to_the_next_citizen() -> None:
    s, clock = make(idle=5, countdown=1)
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    s.choose_service("A")
    visit = s.visit
    clock.now = 100
    s.tick()
    clock.now = 101
    s.tick()
    assert s.screen is Screen.ATTRACT
    assert not s.ticket_issued("slow ticket", visit)
    assert s.screen is Screen.ATTRACT and s.data.ticket is None


def test_listeners_hear_every_change() -> None:
    s, _ = make()
    seen: list[Screen] = []
    s.subscribe(lambda sess: seen.append(sess.screen))
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.DOSSIER)
    assert seen == [Screen.LANGUAGE, Screen.HOME, Screen.UNAVAILABLE]


def test_rating_flow() -> None:
    s, _ = make()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.RATING)
    assert s.screen is Screen.RATING
    assert s.rating_chosen(unsatisfied=False)
    s.rating_done()
    assert s.screen is Screen.HOME
    s.start_rating(service="B")
    assert s.data.rating_service == "B"
    assert not s.rating_chosen(unsatisfied=True)
    assert s.screen is Screen.RATING_REASONS
    s.back()
    assert s.screen is Screen.RATING


def test_a_rating_from_home_after_a_ticket_is_for_that_ticket() -> None:
    from kiosk.tickets import IssuedTicket

    s, _ = make()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.choose_service("C")
    s.ticket_issued(IssuedTicket("0a1b", "C007", "C", "", 2, None, printed=True), s.visit)
    s.home()
    s.open_feature(Feature.RATING)
    assert (s.data.rating_service, s.data.rating_ticket) == ("C", "0a1b")
    s.rating_done()
    s.end()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.RATING)  # the next citizen, with no ticket: no service
    assert (s.data.rating_service, s.data.rating_ticket) == (None, None)


class FakeIdentity:
    def __init__(self) -> None:
        self.id_number = "001099006789"
        self.wiped = False

    def wipe(self) -> None:
        self.id_number = ""
        self.wiped = True


def test_identity_is_wiped_at_every_end_of_a_visit() -> None:
    for end in ("finish", "timeout", "language"):
        s, clock = make(idle=5, countdown=1)
        s.start()
        s.choose_language("vi")
        identity = FakeIdentity()
        s.identify(identity)
        assert s.data.identity is identity
        if end == "finish":
            s.finish()
        elif end == "timeout":
            clock.now = 10
            s.tick()
            clock.now = 20
            s.tick()
        else:
            s.change_language()
        assert identity.wiped and identity.id_number == "" and s.data.identity is None, end


def test_a_second_card_replaces_and_wipes_the_first() -> None:
    s, _ = make()
    first, second = FakeIdentity(), FakeIdentity()
    s.identify(first)
    s.identify(second)
    assert first.wiped and not second.wiped and s.data.identity is second


def test_the_printer_outcome_updates_the_ticket_without_moving_the_citizen() -> None:
    s, _ = make()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.choose_service("A")
    visit = s.visit
    assert s.ticket_issued("pending", visit) and s.screen is Screen.TICKET
    s.home()
    assert s.ticket_printed("final", visit)  # recorded for the visit...
    assert s.screen is Screen.HOME and s.data.ticket == "final"  # ...where the citizen is
    s.end()
    assert not s.ticket_printed("late", visit) and s.data.ticket is None


def test_a_finished_ticket_does_not_replace_a_later_one_of_the_same_visit() -> None:
    from collections import namedtuple

    T = namedtuple("T", "id outcome")
    s, _ = make()
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.choose_service("A")
    s.ticket_issued(T("1", "printing"), s.visit)
    s.home()
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.choose_service("B")  # a second number while the first still prints
    s.ticket_issued(T("2", "printing"), s.visit)
    assert not s.ticket_printed(T("1", "printed"), s.visit)
    assert s.data.ticket == T("2", "printing")
    assert s.ticket_printed(T("2", "printed"), s.visit) and s.data.ticket == T("2", "printed")


def test_display_buttons_on_the_attract_screen_start_a_visit_they_belong_to() -> None:
    s, clock = make(idle=60, countdown=10)
    s.toggle_contrast()
    s.next_text_size()
    assert s.screen is Screen.LANGUAGE and s.high_contrast and s.text_scale == 1.25
    clock.now = 60  # the person walks away: the visit ends, and its look with it
    s.tick()
    clock.now = 70
    s.tick()
    assert s.screen is Screen.ATTRACT and not s.high_contrast and s.text_scale == 1.0


def test_a_failed_issue_is_told_on_the_services_screen_until_the_citizen_moves_on() -> None:
    s, _ = make()
    heard: list[tuple[bool, bool]] = []
    s.subscribe(lambda sess: heard.append((sess.data.issuing, sess.data.issue_failed)))
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    heard.clear()
    assert s.choose_service("A")
    s.issue_failed(s.visit)
    assert heard == [(True, False), (False, True)]  # the screen hears both
    assert s.data.service is None
    assert s.choose_service("A") and not s.data.issue_failed  # trying again
    s.issue_failed(s.visit)
    s.home()
    assert not s.data.issue_failed
    s.open_feature(Feature.TAKE_NUMBER)
    assert s.choose_service("B")
    visit = s.visit
    s.end()
    s.issue_failed(visit)  # the failure of a visit that has ended
    assert not (s.data.issuing or s.data.issue_failed)
