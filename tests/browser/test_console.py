#!/usr/bin/python3
"""The console in a real browser (docs/console.md).

Starts the real kinship with the demo hierarchy (a memory: store, and once
more on PostgreSQL when KINSHIP_TEST_PG_URL is set), drives Debian's
Chromium through chromedriver, and checks what a user would: sign in with a
bad key (the API's error is shown) and a good one, find a customer by name
and by alias, draw its hierarchy, add a member on an organization's page
and see the drawing change, see an API error (a cycle) as the API words it,
remove a member, page a large organization, and no Content-Security-Policy
violation in the browser's log. With --screenshots DIR it saves the main
screens there (docs/console-*.png).

usage: test_console.py KINSHIP_BIN [--screenshots DIR]
Exit status 0 when every check passed, 1 otherwise; 77 is never used: a
missing browser is a failure, not a skip.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

WAIT = 20  # seconds a screen may take to show what is looked for


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """kinship serve with --seed-demo: the key is the first line of stdout."""

    def __init__(self, binary, db, account):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="kinship-console-", suffix=".log",
                                               delete=False)
        self.proc = subprocess.Popen(
            [binary, "serve", "--db", db, "--listen", "127.0.0.1:%d" % self.port,
             "--seed-demo", account, "--test-reset", "on"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        self.key = self.proc.stdout.readline().strip()
        if ":" not in self.key:
            self.stop()
            raise RuntimeError("kinship printed no key (log: %s)" % self.log.name)
        self.url = "http://127.0.0.1:%d" % self.port
        import urllib.request
        for _ in range(500):
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("kinship did not answer /healthz")

    def stop(self):
        self.proc.terminate()
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = -9
        if rc != 0:
            raise RuntimeError("kinship exited %s (log: %s)" % (rc, self.log.name))
        os.unlink(self.log.name)


def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


class Check:
    def __init__(self, name, drv, shots):
        self.name, self.drv, self.shots = name, drv, shots
        self.wait = WebDriverWait(drv, WAIT)

    def visible(self, css):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, css)))

    def text_in(self, css, text):
        try:
            self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
        except TimeoutException:
            got = self.drv.find_element(By.CSS_SELECTOR, css).text
            raise AssertionError("%s: %r never showed %r (it shows %r)"
                                 % (self.name, css, text, got))

    def tree_names(self):
        # In one script: the drawing may be redrawn between two calls.
        return self.drv.execute_script(
            "return Array.from(document.querySelectorAll('#tree .node title'),"
            " (t) => t.textContent)")

    def tree_has(self, name):
        try:
            self.wait.until(lambda d: any(n.startswith(name) for n in self.tree_names()))
        except TimeoutException:
            raise AssertionError("%s: the drawing never showed %r (it shows %r)"
                                 % (self.name, name, self.tree_names()))

    def tree_lacks(self, name):
        assert not any(n.startswith(name) for n in self.tree_names()), \
            "%s: the drawing shows %r" % (self.name, name)

    def shot(self, what):
        if self.shots:
            self.drv.save_screenshot(os.path.join(self.shots, "console-%s.png" % what))

    def error_shown(self, api_type):
        self.visible("#error")
        self.text_in("#error", api_type)
        return self.drv.find_element(By.ID, "error").text


def drive(server, name, shots):
    drv = browser()
    c = Check(name, drv, shots)
    try:
        drv.get(server.url + "/console")
        key = c.visible("#login-key")
        # The page is keyboard reachable: the key field has focus, a label, and
        # Enter signs in.
        assert drv.switch_to.active_element == key, "%s: the key field has focus" % name
        assert drv.find_element(By.CSS_SELECTOR, "label[for=login-key]").text == "API key"
        key.send_keys("00000000-0000-7000-8000-000000000000:wrong" + Keys.ENTER)
        words = c.error_shown("Unauthorized")
        assert "unknown or revoked API client" in words, "%s: the API's message is shown: %r" % (name, words)
        c.shot("login")
        key.clear()
        key.send_keys(server.key + Keys.ENTER)
        c.visible("#search-form")
        assert not drv.find_element(By.ID, "error").is_displayed()
        assert drv.execute_script("return sessionStorage.getItem('kinship.console.key')") \
            == server.key, "%s: the key is kept in sessionStorage" % name

        # Find customers by name, then by alias.
        drv.find_element(By.ID, "q-name").send_keys("Northwind")
        drv.find_element(By.ID, "search-submit").click()
        c.text_in("#search-count", "25 customers")
        c.text_in("#search-results", "Northwind Europe")
        c.shot("search")
        drv.find_element(By.ID, "q-name").clear()
        drv.find_element(By.ID, "q-alias").send_keys("northwind-europe" + Keys.ENTER)
        c.text_in("#search-count", "1 customer with this alias")
        drv.find_element(By.LINK_TEXT, "Northwind Europe").click()

        # Its page and its hierarchy: the group above, its countries below.
        c.text_in("#customer-title", "Northwind Europe")
        c.text_in("#customer-aliases", "northwind-europe")
        c.text_in("#customer-contacts", "billing@northwind-europe.example")
        c.text_in("#customer-member-of", "Organization of Northwind Group")
        c.text_in("#tree-status", "customers drawn")
        c.tree_has("Northwind Group")
        c.tree_has("Northwind GB London")
        c.tree_has("London North Branch")
        c.tree_lacks("Fabrikam Bakery 1")
        assert drv.find_element(By.CSS_SELECTOR, "#tree .node.focus"), "the customer is marked"
        c.shot("customer")
        drv.execute_script("document.getElementById('tree').scrollIntoView()")
        c.shot("hierarchy")

        # Its organization: add a member by alias; the drawing shows it.
        drv.find_element(By.LINK_TEXT, "Its organization").click()
        c.text_in("#org-title", "Organization of Northwind Europe")
        c.text_in("#org-count", "5 members")
        drv.find_element(By.ID, "add-ids").send_keys("fabrikam-bakery-1" + Keys.ENTER)
        c.text_in("#org-count", "6 members")
        c.text_in("#org-members", "Fabrikam Bakery 1")
        c.shot("organization")

        # An API error as the API words it: the group under its own region.
        drv.find_element(By.ID, "add-ids").send_keys("northwind-group" + Keys.ENTER)
        words = c.error_shown("HierarchyCycle")
        assert "customerIds" in words, "%s: the field is named: %r" % (name, words)
        c.text_in("#org-count", "6 members")
        c.shot("error")

        drv.find_element(By.ID, "org-owner").click()
        c.text_in("#tree-status", "customers drawn")
        c.tree_has("Fabrikam Bakery 1")

        # Walk by keyboard: focus a drawn member and press Enter.
        node = next(n for n in drv.find_elements(By.CSS_SELECTOR, "#tree .node")
                    if n.get_attribute("aria-label") == "Fabrikam Bakery 1")
        node.send_keys(Keys.ENTER)
        c.text_in("#customer-title", "Fabrikam Bakery 1")
        c.text_in("#customer-member-of", "Organization of Northwind Europe")
        c.tree_has("Northwind Europe")

        # Remove it again on the organization's page; the drawing loses it.
        drv.find_element(By.LINK_TEXT, "Organization of Northwind Europe").click()
        c.text_in("#org-count", "6 members")
        drv.find_element(By.CSS_SELECTOR, "button[aria-label='Remove Fabrikam Bakery 1']").click()
        c.text_in("#org-count", "5 members")
        drv.find_element(By.ID, "org-owner").click()
        c.text_in("#tree-status", "customers drawn")
        c.tree_has("Northwind GB London")
        c.tree_lacks("Fabrikam Bakery 1")

        # A large organization: collapsed in the drawing, paged on its page.
        drv.get(server.url + "/console#/search")
        alias = c.visible("#q-alias")
        alias.clear()
        alias.send_keys("contoso-retail" + Keys.ENTER)
        c.text_in("#search-results", "Contoso Retail")
        drv.find_element(By.LINK_TEXT, "Contoso Retail").click()
        c.text_in("#tree-status", "customers drawn")
        c.tree_has("Show members 9 to 16 of 120")
        c.tree_lacks("Contoso Outlet 009")
        more = drv.find_element(By.CSS_SELECTOR, "#tree .node.more")
        more.click()
        c.tree_has("Contoso Outlet 009")
        c.tree_lacks("Contoso Outlet 001")
        drv.execute_script("document.getElementById('tree').scrollIntoView()")
        c.shot("large")
        drv.find_element(By.LINK_TEXT, "Its organization").click()
        c.text_in("#org-page", "page 1 of 5")
        drv.find_element(By.ID, "org-next").click()
        c.text_in("#org-page", "page 2 of 5")
        c.text_in("#org-members", "Contoso Outlet 026")

        # A phone's width: nothing but the drawing (which scrolls in its own
        # box) is wider than the screen.
        drv.set_window_size(390, 844)
        drv.find_element(By.LINK_TEXT, "Contoso Outlet 026").click()
        c.text_in("#customer-title", "Contoso Outlet 026")
        c.text_in("#tree-status", "customers drawn")
        wide = drv.execute_script(
            "return document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 0, "%s: the page is %dpx wider than a phone" % (name, wide)
        drv.execute_script("window.scrollTo(0, 0)")
        c.shot("phone")
        drv.set_window_size(1280, 900)

        # Nothing the page did broke its Content-Security-Policy.
        logs = drv.get_log("browser")
        bad = [e["message"] for e in logs if "Content Security Policy" in e["message"]
               or "Refused to" in e["message"]]
        assert not bad, "%s: CSP violations: %s" % (name, bad)

        # Signing out forgets the key.
        drv.find_element(By.ID, "logout").click()
        c.visible("#login-key")
        assert drv.execute_script("return sessionStorage.getItem('kinship.console.key')") is None
    except Exception:
        if shots is None:
            path = os.path.join(tempfile.gettempdir(), "console-failure-%s.png" % name)
            drv.save_screenshot(path)
            print("screenshot of the failure: %s" % path, file=sys.stderr)
        raise
    finally:
        drv.quit()


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    binary = os.path.abspath(sys.argv[1])
    shots = None
    if "--screenshots" in sys.argv:
        shots = os.path.abspath(sys.argv[sys.argv.index("--screenshots") + 1])
    runs = [("memory", "memory:", "console")]
    pg = os.environ.get("KINSHIP_TEST_PG_URL")
    if pg:
        runs.append(("postgresql", pg, "console-%d-%d" % (os.getpid(), time.time_ns())))
    else:
        print("console: KINSHIP_TEST_PG_URL is not set: the PostgreSQL run is not made")
    failed = 0
    for name, db, account in runs:
        try:
            server = Server(binary, db, account)
        except Exception as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
            continue
        try:
            drive(server, name, shots if name == "memory" else None)
            print("ok   console in Chromium on %s" % name)
        except Exception:
            print("FAIL console in Chromium on %s" % name)
            traceback.print_exc()
            failed += 1
        finally:
            try:
                server.stop()
            except Exception as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
