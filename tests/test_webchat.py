"""The website chat widget in a real browser (Debian's Chromium driven by Playwright)
against the real running bot: `rasa run` with the webchat channel, the action server
and an SQLite conversation store, all on 127.0.0.1."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT
from tests.servers import RasaServer, action_port

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "tests" / "artifacts"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REPLY_TIMEOUT_MS = 30_000


@pytest.fixture(scope="session")
def web_bot(model_path, action_server, tmp_path_factory) -> Iterator[str]:
    """`rasa run` with the project's credentials and endpoints, as `make run` starts it."""
    folder = tmp_path_factory.mktemp("webbot")
    env = {"ACTION_PORT": action_port(action_server), "TRACKER_DB": str(folder / "conversations.db")}
    # Offline here: "Leave this site" goes to the demo's own neutral page.
    server = RasaServer(model_path, folder, env, exit_path="/webhooks/webchat/neutral").start()
    try:
        yield server.url
        logged = server.log.read_text(encoding="utf-8", errors="replace")
        # Privacy: what people wrote never reaches the logs at the default level.
        for written in ("turning up at my work", "outside my door right now", "sending me flowers"):
            assert written not in logged, f"message text in the server log: {written!r}"
    finally:
        server.stop()


# Module scope: Playwright's sync API keeps an event loop running until it stops, which
# would block the async tests of later modules.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, web_bot: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(REPLY_TIMEOUT_MS)
    page.goto(f"{web_bot}/webhooks/webchat/")
    expect(page.locator(".message--bot").first).to_be_visible()
    yield page
    context.close()


def say(page: Page, text: str) -> None:
    before = page.locator(".message--bot").count()
    page.fill("#chat-input", text)
    page.press("#chat-input", "Enter")
    expect(page.locator(".message--bot")).not_to_have_count(before)
    page.wait_for_timeout(800)  # let the rest of the bot's turn arrive


def expect_bot_says(page: Page, text: str) -> None:
    """Waits for a bot message with `text`: a turn's later messages can come well after
    its first on a slow machine (a fixed wait after the first was not always enough)."""
    expect(page.locator(".message--bot", has_text=text).first).to_be_visible(timeout=REPLY_TIMEOUT_MS)


def press(page: Page, title: str) -> None:
    before = page.locator(".message--bot").count()
    page.get_by_role("button", name=title, exact=True).click()
    expect(page.locator(".message--bot")).not_to_have_count(before)
    page.wait_for_timeout(800)


def storage(page: Page) -> dict:
    return page.evaluate(
        """async () => ({
            local: localStorage.length,
            session: sessionStorage.length,
            cookies: document.cookie,
            indexedDB: (await indexedDB.databases()).length,
        })"""
    )


def test_a_full_conversation_in_the_browser(page: Page, knowledge):
    expect(page.get_by_role("button", name="Leave this site")).to_be_visible()
    expect_bot_says(page, "not the police")
    press(page, "Yes, I'm safe to talk")
    say(page, "he keeps following me home and turning up at my work")
    expect_bot_says(page, "Thank you for telling me")
    question = page.locator(".quick-reply")
    expect(question.first).to_be_visible()
    press(page, "Yes")

    say(page, "omg hes outside my door right now")
    emergency = page.locator(".message--emergency").last
    expect(emergency).to_be_visible()
    text = emergency.inner_text()
    assert knowledge.service("999").phone in text and knowledge.service("silent_solution").silent_code in text
    assert emergency.locator("a[href='tel:999']").count() >= 1, "999 is a tap-to-call link"

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "conversation-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "conversation-phone.png"), full_page=True)

    state = storage(page)
    assert state["session"] == 1, "the conversation lives in sessionStorage"
    assert state["local"] == 0 and state["cookies"] == "" and state["indexedDB"] == 0


def test_service_numbers_are_tap_to_call_links(page: Page, knowledge):
    say(page, "what's the stalking helpline number")
    helpline = knowledge.service("stalking_helpline").phone
    link = page.locator(f"a.phone:has-text('{helpline}')").last
    expect(link).to_be_visible()
    assert link.get_attribute("href") == "tel:" + helpline.replace(" ", "")


def test_quick_exit_button_leaves_the_page_and_nothing_behind(page: Page, web_bot: str):
    say(page, "he keeps sending me flowers")
    assert storage(page)["session"] == 1
    page.get_by_role("button", name="Leave this site").click()
    page.wait_for_url(f"{web_bot}/webhooks/webchat/neutral")
    assert "Weather" in page.content()
    assert storage(page) == {"local": 0, "session": 0, "cookies": "", "indexedDB": 0}
    page.go_back()
    assert "/neutral" in page.url or page.url == "about:blank", "Back must not return to the chat"


def test_pressing_shift_three_times_also_exits(page: Page, web_bot: str):
    page.locator("#chat-input").focus()
    for _ in range(3):
        page.keyboard.press("Shift")
    page.wait_for_url(f"{web_bot}/webhooks/webchat/neutral")
    assert storage(page)["session"] == 0


def test_clear_conversation_empties_the_tab_storage(page: Page):
    say(page, "he keeps sending me flowers")
    old = json.loads(page.evaluate("sessionStorage.getItem('stalking-triage-chat')"))
    page.get_by_role("button", name="Clear conversation").click()
    expect(page.locator(".message--user")).to_have_count(0)
    page.wait_for_timeout(1500)
    saved = json.loads(page.evaluate("sessionStorage.getItem('stalking-triage-chat')") or "null")
    # A new conversation starts: nothing of the old one is left, not even its id.
    assert saved is None or (
        saved["sessionId"] != old["sessionId"] and all(m["from"] == "bot" for m in saved["messages"])
    )


def test_the_conversation_survives_a_reload_in_the_same_tab(page: Page):
    say(page, "he keeps sending me flowers")
    page.reload()
    expect(page.locator(".message--user", has_text="he keeps sending me flowers")).to_be_visible()


def test_what_people_write_is_shown_as_text_never_html(page: Page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    say(page, "<img src=x onerror=alert(1)><b>bold</b>")
    expect(page.locator(".message--user p").last).to_have_text("<img src=x onerror=alert(1)><b>bold</b>")
    assert page.locator(".chat__log img, .chat__log b").count() == 0
    assert dialogs == []


def test_keyboard_only(page: Page):
    page.keyboard.press("Tab")
    for _ in range(15):
        if page.evaluate("document.activeElement.id") == "chat-input":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    before = page.locator(".message--bot").count()
    page.keyboard.type("yes")
    page.keyboard.press("Enter")
    expect(page.locator(".message--bot")).not_to_have_count(before)
    buttons = page.locator(".quick-reply")
    if buttons.count():
        buttons.first.focus()
        assert page.evaluate("document.activeElement.className") == "quick-reply"


def test_accessibility_has_no_serious_or_critical_violations(page: Page):
    press(page, "Yes, I'm safe to talk")
    say(page, "he's outside my house right now")
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate(
        "async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    serious = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not serious, serious
    live = page.locator("[data-log]")
    assert live.get_attribute("aria-live") == "polite" and live.get_attribute("role") == "log"
    assert page.get_by_label("Your message").count() == 1


def test_usable_at_320_pixels(browser: Browser, web_bot: str):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(f"{web_bot}/webhooks/webchat/")
    expect(page.locator(".message--bot").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    assert page.evaluate("document.documentElement.scrollWidth") <= 320, "no sideways scrolling"
    exit_button = page.get_by_role("button", name="Leave this site")
    expect(exit_button).to_be_in_viewport()
    page.mouse.wheel(0, 2000)
    expect(exit_button).to_be_in_viewport()
    context.close()


def test_page_is_served_with_a_strict_content_security_policy(web_bot: str):
    with urllib.request.urlopen(f"{web_bot}/webhooks/webchat/") as answer:
        policy = answer.headers["Content-Security-Policy"]
        html = answer.read().decode()
        assert answer.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "<script>" not in html, "no inline script"
    assert "http" not in html.split("<script")[1].split(">")[0], "no script from a CDN"


def test_socket_only_accepts_configured_origins(web_bot: str):
    def handshake(origin: str) -> int:
        request = urllib.request.Request(
            f"{web_bot}/socket.io/?EIO=4&transport=polling", headers={"Origin": origin}
        )
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as error:
            return error.code

    assert handshake(web_bot) == 200
    assert handshake("http://evil.example") == 400


def test_only_the_widget_is_exposed(web_bot: str):
    for path in ("/webhooks/rest/webhook", "/conversations/x/tracker", "/model/parse"):
        request = urllib.request.Request(f"{web_bot}{path}", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code in (403, 404, 405), path


def test_a_very_long_message_is_capped_and_the_person_is_told(page: Page):
    say(page, "he keeps following me. " * 800)
    expect_bot_says(page, "very long")
