#!/usr/bin/env python3
"""The page of `lisa serve` in a real browser (headless Chromium driven by Selenium).

Starts `lisa serve` with the tiny golden checkpoint on 127.0.0.1 at a free port, uploads a golden
image through the page's file input, asks, waits for the streamed answer, and checks that
- the answer shown is the API's text for the same question,
- the overlay carries each mask's colour exactly where the mask is (50/50 blend with the picture)
  and the picture untouched elsewhere, comparing the canvas with its masks toggled off and on,
  against masks decoded here, independently of the page, from the API's RLE,
then saves a screenshot. Missing Chromium, chromedriver or Selenium is a failure with a message
(scripts/setup.sh installs them), never a silent pass.

Usage: test_serve_page.py LISA_BINARY GOLDEN_DIR SCREENSHOT_PNG
"""
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    fail("python3-selenium is not installed (scripts/setup.sh installs it: apt-get install python3-selenium)")
if not CHROMIUM or not os.path.exists(DRIVER):
    fail("chromium and chromium-driver are needed (scripts/setup.sh installs them: apt-get install chromium chromium-driver)")

PALETTE = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240), (240, 50, 230),
           (210, 245, 60)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rle_mask(rle):
    """COCO compressed RLE -> set of (y, x), written from pycocotools' description, not from the page."""
    h, w = rle["size"]
    s, counts, p = rle["counts"], [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1F) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    pixels, i = set(), 0
    for k, n in enumerate(counts):
        if k % 2:
            pixels.update(((j % h), (j // h)) for j in range(i, i + n))
        i += n
    return pixels


def canvas_rgb(driver):
    data = driver.execute_script("""
        const c = document.getElementById('overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = ''; for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
        return [c.width, c.height, btoa(s)];""")
    width, height, raw = data
    return width, height, base64.b64decode(raw)


def main():
    if len(sys.argv) != 4:
        fail(__doc__)
    lisa, golden, screenshot = sys.argv[1:]
    image = os.path.join(golden, "images", "astronaut_wide.jpg")
    prompt = json.load(open(os.path.join(golden, "chat", "astronaut_wide", "case.json")))["user_text"]
    port = free_port()
    server = subprocess.Popen([lisa, "serve", "-m", os.path.join(golden, "models", "lisa-tiny-bin"), "--vision-tower",
                               os.path.join(golden, "models", "clip-tiny"), "--device", "cpu", "--threads", "1",
                               "--port", str(port), "-q"], stderr=subprocess.PIPE, text=True)
    url = "http://127.0.0.1:%d" % port
    driver = None
    try:
        deadline = time.monotonic() + 30
        while True:  # event-driven: poll /health until 200, with a deadline
            if server.poll() is not None:
                fail("lisa serve exited: " + server.stderr.read())
            try:
                if urllib.request.urlopen(url + "/health", timeout=2).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                fail("lisa serve did not become healthy in 30 s")
            time.sleep(0.05)

        with open(image, "rb") as f:
            body = json.dumps({"image": base64.b64encode(f.read()).decode(), "prompt": prompt, "max_new_tokens": 32})
        request = urllib.request.Request(url + "/v1/segment", body.encode(), {"Content-Type": "application/json"})
        expected = json.load(urllib.request.urlopen(request, timeout=30))
        if not expected["masks"]:
            fail("the API's answer has no mask to check the overlay with")

        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,560"):
            options.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
        driver.get(url + "/")
        driver.find_element(By.ID, "file").send_keys(os.path.abspath(image))
        WebDriverWait(driver, 20).until(lambda d: not d.find_element(By.ID, "ask").get_property("disabled"))
        driver.find_element(By.ID, "prompt").send_keys(prompt)
        tokens = driver.find_element(By.ID, "max_new_tokens")
        tokens.clear()
        tokens.send_keys("32")
        driver.find_element(By.ID, "ask").click()
        WebDriverWait(driver, 30).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-state") in
                                        ("done", "error"))
        state = driver.find_element(By.TAG_NAME, "body").get_attribute("data-state")
        if state != "done":
            fail("the page shows an error: " + driver.find_element(By.ID, "error").text)
        shown = driver.execute_script("return document.getElementById('answer').textContent")
        if shown != expected["text"]:
            fail("the page shows %r, the API answered %r" % (shown, expected["text"]))

        with_masks = canvas_rgb(driver)
        for i in range(len(expected["masks"])):
            driver.find_element(By.ID, "mask-toggle-%d" % i).click()
        width, height, plain = canvas_rgb(driver)
        for i in range(len(expected["masks"])):
            driver.find_element(By.ID, "mask-toggle-%d" % i).click()
        if canvas_rgb(driver) != with_masks:
            fail("toggling the masks off and on again did not give the same overlay")
        overlay = with_masks[2]
        masks = [rle_mask(m["rle"]) for m in expected["masks"]]
        if [height, width] != expected["masks"][0]["rle"]["size"]:
            fail("canvas %dx%d, masks of %s" % (width, height, expected["masks"][0]["rle"]["size"]))
        covered, wrong = 0, 0
        for y in range(height):
            for x in range(width):
                p = 4 * (y * width + x)
                want = list(plain[p:p + 3])
                for m, mask in enumerate(masks):
                    if (y, x) in mask:
                        want = [(v + c) // 2 for v, c in zip(want, PALETTE[m % len(PALETTE)])]
                if (y, x) in masks[0]:
                    covered += 1
                if list(overlay[p:p + 3]) != want:
                    wrong += 1
        if covered == 0:
            fail("the first mask is empty")
        if wrong:
            fail("%d of %d overlay pixels differ from the picture blended with the mask colours" % (wrong, width * height))
        os.makedirs(os.path.dirname(os.path.abspath(screenshot)), exist_ok=True)
        driver.save_screenshot(screenshot)
        print("ok: answer %r, %d mask(s), %d masked pixels checked; screenshot %s" %
              (shown, len(masks), covered, screenshot))
    finally:
        if driver:
            driver.quit()
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
