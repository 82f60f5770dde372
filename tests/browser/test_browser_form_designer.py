"""An admin adds a required field in the form designer, saves the draft, publishes it from the
definition page, and the field appears on a customer's page, validated: saving the profile
with it empty shows the required error at the field.

The steps build on each other, so they are one test on this module's own server."""
from __future__ import annotations

import pytest

from browser_support import check_page

pytestmark = pytest.mark.browser

KEY = "licence_number"
LABEL_EN = "Licence number (browser test)"
LABEL_ZH = "执业许可证号"


def test_admin_adds_a_required_field_that_customers_pages_then_require(open_page):
    from playwright.sync_api import expect

    admin = open_page("admin", language="en")
    admin.goto("/studio/form/hospital/design")
    expect(admin.locator("#designer-fields > li")).not_to_have_count(0)
    check_page(admin, "form-designer-admin-en-desktop")

    # Moving the first field down happens in place (JS) and keeps the focus on its button.
    first = admin.locator("#designer-fields > li").first.get_attribute("data-key")
    admin.locator(f"#field-{first} .fd-down").focus()
    admin.keyboard.press("Enter")
    expect(admin.locator("#designer-fields > li").nth(1)).to_have_attribute("data-key", first)
    # Back again: the order of the published form is kept for the rest of the test.
    admin.locator(f"#field-{first} .fd-up").click()
    expect(admin.locator("#designer-fields > li").first).to_have_attribute("data-key", first)

    # Drag and drop by the handle; the preview follows the new order.
    keys = admin.locator("#designer-order").input_value().split(",")
    admin.locator(f"#field-{keys[0]} .fd-handle").drag_to(
        admin.locator(f"#field-{keys[2]} .fd-summary"))
    expect(admin.locator("#designer-order")).to_have_value(
        ",".join([keys[1], keys[2], keys[0]] + keys[3:]))
    expect(admin.locator("#designer-preview .field").first).to_contain_text(
        admin.locator(f"#field-{keys[1]} .fd-summary strong").inner_text(), timeout=15000)
    admin.locator(f"#field-{keys[0]} .fd-handle").drag_to(
        admin.locator(f"#field-{keys[1]} .fd-summary"))
    expect(admin.locator("#designer-order")).to_have_value(",".join(keys))

    # A condition is checked as it is typed.
    admin.locator(f"#field-{first} summary").click()
    condition = admin.locator(f"#fd-{first}-visible_if")
    condition.press_sequentially("beds >")
    expect(admin.locator(f"#fd-{first}-visible_if-check")).to_contain_text("position 7", timeout=15000)
    condition.fill("")
    condition.press("Backspace")

    new = admin.locator("fieldset.designer-new")
    new.get_by_label("Key").fill(KEY)
    new.get_by_label("Field type").select_option("text")
    new.get_by_label("Label (Chinese)").fill(LABEL_ZH)
    new.get_by_label("Label (English)").fill(LABEL_EN)
    new.get_by_label("Must be filled in").check()
    new.get_by_role("button", name="Add field").click()
    expect(admin.locator(f"#field-{KEY}")).to_be_visible()
    expect(admin.locator("#designer-preview")).to_contain_text(LABEL_EN)
    admin.get_by_role("button", name="Save draft").first.click()

    expect(admin.locator(".flash-success")).to_contain_text("Draft saved as version")
    admin.locator("form.publish-actions button").first.click()
    expect(admin.locator(".flash-success")).to_contain_text("is published")

    rep = open_page("r1", language="en")
    rep.goto("/customers/C1")
    field = rep.get_by_label(LABEL_EN)
    expect(field).to_be_visible()
    expect(field).to_have_value("")
    rep.get_by_role("button", name="Save profile").click()
    error = rep.locator(f"#pf-{KEY}-errors")
    expect(error).to_contain_text("Fill in this field.")
    expect(rep.get_by_label(LABEL_EN)).to_have_attribute("aria-invalid", "true")
    check_page(rep, "form-designer-required-field-on-customer-page-rep-en-desktop")
