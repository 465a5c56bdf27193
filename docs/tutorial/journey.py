"""The tutorial's user journey on the Notes app, for ``har2locust-plus record --script``.

``record`` opens the start URL and calls ``journey(page)`` with a Playwright ``Page`` (sync
API) already there. Scripting the clicks means the recording can be made again at any time,
in CI too, and comes out the same: log in as alice, create a note, open it, go back to the
list, delete it, log out. Every click that loads a page waits for that page, so the HAR holds
each page complete before the next one starts.
"""

from playwright.sync_api import Page

USERNAME = "alice"
PASSWORD = "wonderland-42"  # the demo account; read a real one from the environment


def journey(page: Page) -> None:
    """Click through the Notes app like a user would, by the pages' element ids."""
    with page.expect_navigation():
        page.click("#login-link")
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():  # POST /login, redirected to /notes
        page.click("#login-submit")

    page.fill("#note-title", "Groceries")
    page.fill("#note-body", "milk, eggs, flour")
    with page.expect_navigation():  # POST /notes, redirected to the new note
        page.click("#note-submit")
    note_id = page.get_attribute("article.note", "data-note-id")

    with page.expect_navigation():
        page.click("#back-to-notes")
    with page.expect_navigation():  # POST /notes/<id>/delete, redirected to /notes
        page.click(f'li[data-note-id="{note_id}"] .delete-form button')

    with page.expect_navigation():  # /logout, redirected to the home page
        page.click("#logout")
    page.wait_for_load_state("networkidle")
