"""The web page in a real browser: live updates, a hostile mail, the keyboard, 400 px.

Headless Chromium from the system's packages, driven by Selenium. Without them
these tests skip and say how to install them (Debian/Ubuntu:
``apt-get install chromium chromium-driver``). With ``LOCALSERVER_SCREENSHOTS=1``
the screenshot test writes the pictures of docs/web.rst to docs/_static/.
"""

from __future__ import annotations

import os
import shutil
import smtplib
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Callable

import pytest
import requests

from localserver import HTTPServer, SMTPServer
from localserver._web import WebServer, WebStore, mail_entry, start_web

from ._web import HOSTILE_HTML, add_exchange, add_mail
from .conftest import TIMEOUT

INSTALL = (
    "install Chromium and its driver to run them (Debian/Ubuntu: apt-get install chromium "
    "chromium-driver) and Selenium (pip install selenium), or point LOCALSERVER_CHROMIUM and "
    "LOCALSERVER_CHROMEDRIVER at them"
)
DOCS_STATIC = Path(__file__).resolve().parent.parent / "docs" / "_static"


def _find(variable: str, *names: str) -> str | None:
    if os.environ.get(variable):
        return os.environ[variable] if os.path.exists(os.environ[variable]) else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a fresh profile, no network of its own, nothing downloaded."""
    webdriver = pytest.importorskip("selenium.webdriver", reason=f"selenium is missing; {INSTALL}")
    chromium = _find("LOCALSERVER_CHROMIUM", "chromium", "chromium-browser", "google-chrome")
    driver_path = _find("LOCALSERVER_CHROMEDRIVER", "chromedriver")
    if chromium is None or driver_path is None:
        missing = "Chromium" if chromium is None else "chromedriver"
        pytest.skip(f"web page browser tests: {missing} not found; {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1200,800",
        f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}",
    ):
        options.add_argument(argument)
    with pytest.MonkeyPatch.context() as patch:
        # Selenium Manager must never download a browser or driver: both are given.
        patch.setenv("SE_OFFLINE", "true")
        driver = webdriver.Chrome(
            options=options, service=webdriver.ChromeService(executable_path=driver_path)
        )
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[WebStore, WebServer]]:
    """A store of mail and requests with its page served; the browser leaves it after."""
    store = WebStore()
    server = start_web(store, port=0)
    browser.set_window_size(1200, 800)
    try:
        yield store, server
    finally:
        browser.get("about:blank")  # closes the event stream before the server goes
        server.stop()


def by() -> Any:
    from selenium.webdriver.common.by import By

    return By


def wait(browser: Any, condition: Callable[[Any], Any], message: str) -> Any:
    """Wait for *condition(browser)* to be truthy and return it.

    The list is rebuilt at each change, so an element read a moment ago may be
    gone: the condition is then simply tried again.
    """
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    waiter = WebDriverWait(browser, TIMEOUT * 2, poll_frequency=0.05, ignored_exceptions=ignored)
    return waiter.until(condition, message)


def open_page(browser: Any, web: WebServer, fragment: str = "") -> None:
    """Load the page and wait until its event stream is connected."""
    browser.get(f"{web.url}/{fragment}")
    wait(
        browser,
        lambda b: b.find_element(by().ID, "live").text == "Live",
        "the page never went live",
    )


def rows(browser: Any) -> list[Any]:
    return browser.find_elements(by().CSS_SELECTOR, "#list .row")


def row_with(browser: Any, text: str) -> tuple[str, int]:
    """Wait for a list row showing *text*; return its text and how many elements it holds.

    Read in one step, since the list may be rebuilt at any moment.
    """
    script = """
        const row = [...document.querySelectorAll('#list .row')]
            .find((r) => r.textContent.includes(arguments[0]));
        return row ? [row.innerText, row.querySelectorAll('script, img, iframe').length] : null;
    """
    found = wait(browser, lambda b: b.execute_script(script, text), f"no list row with {text!r}")
    return str(found[0]), int(found[1])


def press(browser: Any, *keys: str) -> Any:
    """Send keys to whatever has focus; return the element that has it then."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(browser).send_keys(*keys).perform()
    return browser.switch_to.active_element


def no_horizontal_scroll(browser: Any) -> bool:
    width = browser.execute_script(
        "return [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return bool(width[0] <= width[1])


class TestLive:
    def test_mail_and_request_appear_without_reload(
        self, browser: Any, page: tuple[WebStore, WebServer]
    ) -> None:
        """A mail and a request sent after the page loaded show up by themselves."""
        store, web = page
        open_page(browser, web)
        browser.execute_script("window.sameDocument = true")  # gone if the page reloads
        with SMTPServer() as smtp:
            message = EmailMessage()
            message["From"] = "shop@example.com"
            message["To"] = "bob@example.com"
            message["Subject"] = "<script>document.title='pwned'</script> Order shipped"
            message.set_content("Your order is on its way.")
            with smtplib.SMTP(*smtp.addr, timeout=TIMEOUT) as client:
                client.send_message(message)
            store.add(mail_entry(smtp.wait_for(1)[0]))
        text, elements = row_with(browser, "Order shipped")
        assert "<script>document.title='pwned'</script> Order shipped" in text
        assert elements == 0
        wait(
            browser,
            lambda b: (
                b.find_element(by().CSS_SELECTOR, "#tabs a[href='#messages']").text == "Mail 1"
            ),
            "the tab does not count the mail",
        )

        browser.find_element(by().CSS_SELECTOR, "#tabs a[href='#requests']").click()
        wait(
            browser,
            lambda b: not b.find_element(by().ID, "empty").get_attribute("hidden"),
            "the request list did not open empty",
        )
        with HTTPServer() as http:
            http.serve_content("ok")
            add_exchange(store, http, "POST", "/webhooks/live?attempt=1", json={"event": "paid"})
        text, _ = row_with(browser, "/webhooks/live?attempt=1")
        assert "POST" in text
        assert "200" in text
        assert browser.execute_script("return window.sameDocument") is True
        assert browser.title == "localserver: Mail and Requests"

    def test_deleting_from_the_page(self, browser: Any, page: tuple[WebStore, WebServer]) -> None:
        """Delete one from its detail view, then all with the list's button."""
        store, web = page
        first, _ = add_mail(store, "First"), add_mail(store, "Second")
        open_page(browser, web, f"#messages/{first}")
        wait(
            browser,
            lambda b: b.find_element(by().CSS_SELECTOR, "#detail h2").text == "First",
            "the mail did not open",
        )
        browser.find_element(by().XPATH, "//div[@class='actions']/button[.='Delete']").click()
        wait(browser, lambda b: [r.text.count("Second") for r in rows(b)] == [1], "not deleted")
        assert store.get("mail", first) is None
        browser.find_element(by().ID, "delete-all").click()
        browser.switch_to.alert.accept()
        wait(browser, lambda b: rows(b) == [], "delete all left rows")
        assert store.counts() == {"mail": 0, "request": 0}

    def test_search(self, browser: Any, page: tuple[WebStore, WebServer]) -> None:
        """Typing in the search box keeps the mail whose recipient or subject matches."""
        store, web = page
        add_mail(store, "Invoice", to="bob@example.com")
        add_mail(store, "Welcome", to="carl@example.com")
        open_page(browser, web)
        row_with(browser, "Welcome")
        browser.find_element(by().ID, "q").send_keys("bob@")
        wait(
            browser,
            lambda b: (
                [("Invoice" in r.text, "Welcome" in r.text) for r in rows(b)] == [(True, False)]
            ),
            "the search kept the wrong rows",
        )
        assert browser.find_element(by().ID, "count").text == "1\u20131 of 1 found"


class TestHostileMail:
    def test_html_part_runs_no_script_and_loads_nothing(
        self, browser: Any, page: tuple[WebStore, WebServer]
    ) -> None:
        """Scripts, handlers, javascript: links, forms and remote loads all stay dead.

        A tracker server records every request the mail could cause: it sees
        none, until "Allow remote images" lets the one image through.
        """
        store, web = page
        with HTTPServer() as tracker:
            tracker.serve_content(b"GIF89a", headers={"Content-Type": "image/gif"})
            html = HOSTILE_HTML.replace("TRACKER", tracker.url)
            mail_id = add_mail(store, "<img src=x onerror=alert(1)>", text=None, html=html)
            open_page(browser, web, f"#messages/{mail_id}")
            frame = wait(
                browser,
                lambda b: b.find_element(by().CSS_SELECTOR, "iframe.html-part"),
                "no HTML view",
            )
            assert frame.get_attribute("sandbox") == ""
            browser.switch_to.frame(frame)
            try:
                hello = wait(browser, lambda b: b.find_element(by().ID, "hello"), "not rendered")
                # Inline styles are allowed: mail is styled that way.
                assert hello.value_of_css_property("color") in (
                    "rgb(0, 128, 0)",
                    "rgba(0, 128, 0, 1)",
                )
                browser.find_element(by().ID, "js-link").click()
                browser.find_element(by().ID, "submit").click()
                assert browser.find_element(by().ID, "remote").get_property("naturalWidth") == 0
                # An image the mail carries (a cid: part becomes a data: URL) does show.
                assert browser.find_element(by().ID, "inline").get_property("naturalWidth") == 1
            finally:
                browser.switch_to.default_content()
            assert browser.title == "localserver: Mail and Requests"
            subject = browser.find_element(by().CSS_SELECTOR, "#detail h2")
            assert subject.text == "<img src=x onerror=alert(1)>"
            assert store.get("mail", mail_id) is not None
            assert [r.path for r in tracker.requests] == []

            browser.find_element(by().XPATH, "//button[.='Allow remote images']").click()
            tracker.assert_request_made("/tracker.png", count=None, timeout=TIMEOUT)
            assert {r.path for r in tracker.requests} == {"/tracker.png"}
            assert browser.title == "localserver: Mail and Requests"


class TestKeyboard:
    def test_tab_reaches_the_list_and_arrows_walk_it(
        self, browser: Any, page: tuple[WebStore, WebServer]
    ) -> None:
        """Tab reaches the rows; arrows, Home and End move; Enter opens; Escape returns."""
        store, web = page
        ids = [add_mail(store, f"Mail {n}") for n in range(3)]
        open_page(browser, web)
        row_with(browser, "Mail 0")
        focused = None
        for _ in range(20):
            focused = press(browser, "\ue004")  # Tab
            if "row" in (focused.get_attribute("class") or ""):
                break
        assert focused is not None
        assert focused.get_attribute("data-id") == str(ids[2])
        outline = browser.execute_script(
            "return getComputedStyle(document.activeElement).outlineStyle"
        )
        assert outline != "none"
        assert press(browser, "\ue015").get_attribute("data-id") == str(ids[1])  # ArrowDown
        assert press(browser, "\ue010").get_attribute("data-id") == str(ids[0])  # End
        assert press(browser, "\ue011").get_attribute("data-id") == str(ids[2])  # Home
        press(browser, "\ue015")
        heading = press(browser, "\ue007")  # Enter
        wait(browser, lambda b: b.switch_to.active_element.tag_name == "h2", "Enter opened nothing")
        heading = browser.switch_to.active_element
        assert heading.text == "Mail 1"
        assert browser.execute_script("return location.hash") == f"#messages/{ids[1]}"
        press(browser, "\ue00c")  # Escape
        wait(
            browser,
            lambda b: b.switch_to.active_element.get_attribute("data-id") == str(ids[1]),
            "Escape did not return to the row",
        )


class TestNarrow:
    def test_400_px_has_no_horizontal_scroll(
        self, browser: Any, page: tuple[WebStore, WebServer]
    ) -> None:
        """At 400 px the list, a mail and a request fit the width, however long their text."""
        store, web = page
        long_word = "x" * 300
        mail_id = add_mail(
            store,
            f"Subject {long_word}",
            to=f"{long_word}@example.com",
            html=f"<p>{long_word}</p>",
            attachments=((f"{long_word}.pdf", "application/pdf", b"%PDF"),),
        )
        with HTTPServer() as http:
            http.serve_content(long_word)
            request_id = add_exchange(
                store,
                http,
                "POST",
                f"/{long_word}?q={long_word}",
                headers={"X-Long": long_word},
                json={"key": long_word},
            )
        browser.set_window_size(400, 900)
        assert browser.execute_script("return window.innerWidth") == 400
        open_page(browser, web)
        row_with(browser, "Subject")
        assert no_horizontal_scroll(browser), "the mail list scrolls sideways"
        browser.get(f"{web.url}/#messages/{mail_id}")
        wait(browser, lambda b: b.find_element(by().CSS_SELECTOR, "#detail h2"), "no mail")
        for label in ("Text", "HTML", "Headers", "Source"):
            browser.find_element(by().XPATH, f"//div[@class='views']/button[.='{label}']").click()
            assert no_horizontal_scroll(browser), f"the mail's {label} view scrolls sideways"
        assert browser.find_element(by().CSS_SELECTOR, ".back").is_displayed()
        browser.get(f"{web.url}/#requests/{request_id}")
        wait(
            browser,
            lambda b: b.find_element(by().CSS_SELECTOR, "#detail h2").text.startswith("POST "),
            "the request did not open",
        )
        assert no_horizontal_scroll(browser), "the request view scrolls sideways"


class TestRequestInspector:
    def test_details_and_copy_as_curl(self, browser: Any, page: tuple[WebStore, WebServer]) -> None:
        """Query, headers, cookies, pretty JSON, files, the response; curl is offered."""
        store, web = page
        with HTTPServer() as http:
            http.serve_content('{"ok":true}', headers={"Content-Type": "application/json"})
            json_id = add_exchange(
                store, http, "POST", "/hook?attempt=2", json={"a": [1, 2]}, cookies={"sid": "s1"}
            )
            files_id = add_exchange(
                store,
                http,
                "POST",
                "/upload",
                data={"name": "Ann"},
                files={"doc": ("notes.txt", b"hello", "text/plain")},
            )
        open_page(browser, web, f"#requests/{json_id}")
        wait(
            browser,
            lambda b: (
                b.find_element(by().CSS_SELECTOR, "#detail h2").text == "POST /hook?attempt=2"
            ),
            "the request did not open",
        )
        detail = browser.find_element(by().ID, "detail")
        pres = [p.text for p in detail.find_elements(by().CSS_SELECTOR, "pre.json")]
        assert pres == ['{\n  "a": [\n    1,\n    2\n  ]\n}', '{\n  "ok": true\n}']
        cookie = ".//h3[.='Cookies']/following-sibling::table[1]//tr[th='sid']/td"
        assert detail.find_element(by().XPATH, cookie).text == "s1"
        curl = requests.get(f"{web.url}/api/requests/{json_id}", timeout=TIMEOUT).json()["curl"]
        assert detail.find_element(by().CSS_SELECTOR, "pre.curl").text == curl
        browser.find_element(by().XPATH, "//button[.='Copy as curl']").click()
        wait(
            browser,
            lambda b: b.find_element(by().CSS_SELECTOR, ".actions [role=status]").text,
            "copying said nothing",
        )

        browser.get(f"{web.url}/#requests/{files_id}")
        link = wait(browser, lambda b: b.find_element(by().LINK_TEXT, "notes.txt"), "no file link")
        assert link.get_attribute("href").endswith(f"/api/requests/{files_id}/parts/0")
        assert link.get_attribute("download") == "notes.txt"
        assert "name" in browser.find_element(by().ID, "detail").text


class TestScreenshots:
    def test_each_page(
        self, browser: Any, page: tuple[WebStore, WebServer], tmp_path: Path
    ) -> None:
        """Inbox, an opened mail, the request inspector: one picture each.

        Written to docs/_static/ when LOCALSERVER_SCREENSHOTS=1 (for docs/web.rst).
        """
        target = DOCS_STATIC if os.environ.get("LOCALSERVER_SCREENSHOTS") == "1" else tmp_path
        target.mkdir(exist_ok=True)
        store, web = page
        add_mail(
            store,
            "Welcome aboard, Carl",
            sender="Shop <no-reply@shop.example>",
            to="Carl <carl@example.com>",
            cc="team@shop.example",
            envelope_to=["carl@example.com", "team@shop.example"],
        )
        add_mail(
            store,
            "Reset your password",
            sender="Shop <no-reply@shop.example>",
            to="carl@example.com",
        )
        order = add_mail(
            store,
            "Your order #1042 has shipped",
            sender="Shop <no-reply@shop.example>",
            to="Bob <bob@example.com>",
            envelope_to=["bob@example.com", "audit@shop.example"],
            text="Your parcel is on its way.",
            html="<h1 style='color:#0b5cad;font-family:sans-serif'>Shipped!</h1>"
            "<p style='font-family:sans-serif'>Your parcel is on its way.</p>",
            attachments=(("invoice-1042.pdf", "application/pdf", b"%PDF-1.4"),),
            tls="starttls",
            auth_user="shop",
            peer=("127.0.0.1", 50412),
            helo="shop.example",
        )
        with HTTPServer() as http:
            http.serve_content('{"received": true}', headers={"Content-Type": "application/json"})
            add_exchange(store, http, "GET", "/api/items?page=2")
            hook = add_exchange(
                store,
                http,
                "POST",
                "/webhooks/payment?attempt=1",
                json={"event": "payment.succeeded", "amount": 4200, "currency": "EUR"},
                headers={"X-Signature": "t=1700000000,v1=5f2b"},
            )
        browser.set_window_size(1100, 860)
        open_page(browser, web)
        row_with(browser, "Your order")
        shots = {"web-inbox.png": None, "web-mail.png": None, "web-requests.png": None}
        browser.save_screenshot(str(target / "web-inbox.png"))
        browser.get(f"{web.url}/#messages/{order}")
        wait(
            browser,
            lambda b: b.find_element(by().XPATH, "//div[@class='views']/button[.='HTML']"),
            "the mail did not open",
        ).click()
        browser.switch_to.frame(browser.find_element(by().CSS_SELECTOR, "iframe.html-part"))
        wait(browser, lambda b: b.find_element(by().TAG_NAME, "h1"), "HTML part not shown")
        browser.switch_to.default_content()
        browser.save_screenshot(str(target / "web-mail.png"))
        browser.get(f"{web.url}/#requests/{hook}")
        wait(browser, lambda b: b.find_element(by().CSS_SELECTOR, "pre.json"), "no request body")
        browser.save_screenshot(str(target / "web-requests.png"))
        for name in shots:
            assert (target / name).read_bytes().startswith(b"\x89PNG"), name
