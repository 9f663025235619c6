"""The web page in a real headless Chromium (Debian's chromium + chromedriver via selenium)
against a running server (uvicorn on 127.0.0.1) with the real automaton behind it.

Set IONFLUX_SCREENSHOT_DIR to keep the screenshot (docs/screenshots/web_page.png is one).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def _browser() -> tuple[str, str]:
    chrome = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser",
                                                         "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if chrome is None or driver is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium "
                    "chromium-driver; .ci/run installs them)")
    return chrome, driver


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chrome, driver_path = _browser()
    options = webdriver.ChromeOptions()
    options.binary_location = chrome
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1400,1250"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    yield driver
    driver.quit()


def _wait(driver, condition, timeout=120.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout).until(condition)


def test_page_predicts_plots_and_shows_kd(server, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(server + "/")
    _wait(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    # the preset R4 filled the form: BaO 1 : TiO2 2, three 4 h steps
    formulas = [e.get_attribute("value") for e in browser.find_elements(By.CSS_SELECTOR,
                                                                         ".formula")]
    assert formulas == ["BaO", "TiO2"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#profile tbody tr")) == 3
    Select(browser.find_element(By.ID, "mode")).select_by_value("thermo-only")
    for field, value in (("grid", "10"), ("realisations", "3")):
        box = browser.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda d: d.execute_script(
        "return document.getElementById('result').dataset.ready") == "1")
    doc = browser.execute_script("return window.ionflux.prediction")
    assert doc["inputs"]["mode"] == "thermo-only" and doc["inputs"]["grid"] == 10
    assert doc["inputs"]["profile"] == [[1200.0, 40.0], [1300.0, 40.0], [1400.0, 40.0]]
    # the plot: one legend entry per phase above 1e-3 (band edges hidden from the legend)
    shown = sorted(ph for ph in doc["final_mol_fraction"]
                   if max(p["mol_fraction"][ph] for p in doc["series"]) > 1e-3)
    labels = [e.find_element(By.CSS_SELECTOR, ".u-label").text for e in
              browser.find_elements(By.CSS_SELECTOR, ".u-legend .u-series") if e.is_displayed()]
    assert labels[0] == "time (h)" and sorted(labels[1:]) == shown
    assert len(shown) >= 3  # precursors and at least one product
    assert browser.find_element(By.CSS_SELECTOR, "#chart canvas").size["width"] > 300
    # the final table repeats the document's numbers
    rows = browser.find_elements(By.CSS_SELECTOR, "#final tr")[1:]
    table = {r.find_elements(By.TAG_NAME, "td")[0].text:
             float(r.find_elements(By.TAG_NAME, "td")[1].text) for r in rows}
    assert table == pytest.approx({k: round(v, 4) for k, v in
                                   doc["final_mol_fraction"].items()}, abs=1e-4)
    # and each product's majority probability with its interval over the independent draws
    chances = {r.find_elements(By.TAG_NAME, "td")[0].text: r.find_elements(By.TAG_NAME, "td")[3]
               .text for r in rows}
    for phase, text in chances.items():
        p = doc["majority_probability"].get(phase)
        if p is None:
            assert text == "-"  # a precursor
            continue
        low, high = doc["majority_probability_interval"][phase]
        assert text == f"{p:.2f} [{low:.2f}-{high:.2f}]"
    assert f"over {doc['uncertainty']['independent_draws']} independent draws" in (
        browser.find_elements(By.CSS_SELECTOR, "#final tr")[0].text)
    # clicking a legend entry hides that phase (interactive)
    legend = [e for e in browser.find_elements(By.CSS_SELECTOR, ".u-legend .u-series")
              if e.is_displayed()]
    legend[1].click()
    assert browser.execute_script("return window.ionflux.chart.series[1].show") is False
    # the K_D table at 1500 K from the store's documents, ordered by Ba fraction
    _wait(browser, lambda d: "phases at" in d.find_element(By.ID, "kd-status").text)
    kd_rows = browser.find_elements(By.CSS_SELECTOR, "#kd-table tr")[1:]
    assert [r.find_elements(By.TAG_NAME, "td")[0].text for r in kd_rows] == [
        "BaTi4O9", "BaTi2O5", "BaTiO3", "Ba2TiO4"]
    assert {r.find_elements(By.TAG_NAME, "td")[4].text for r in kd_rows} == {"md"}
    assert "(store)" in browser.find_element(By.ID, "kd-status").text
    legend[1].click()  # show it again for the screenshot
    path = tmp_path / "web_page.png"
    browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    keep = os.environ.get("IONFLUX_SCREENSHOT_DIR")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(keep) / "web_page.png")


def test_page_shows_api_errors(server, browser):
    from selenium.webdriver.common.by import By

    browser.get(server + "/")
    _wait(browser, lambda d: d.execute_script("return document.body.dataset.ready") == "1")
    box = browser.find_elements(By.CSS_SELECTOR, ".formula")[1]
    box.clear()
    box.send_keys("Zz2O")
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda d: d.find_element(By.ID, "status").get_attribute("class") == "error")
    text = browser.find_element(By.ID, "status").text
    assert "Zz2O" in text and "Traceback" not in text
