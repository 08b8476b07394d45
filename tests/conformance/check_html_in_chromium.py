"""Loads thunder-conformance's HTML page in headless Chromium (Debian's chromium package):
the page must load, the DOM Chromium builds must hold the matrix with a row per op and a
coloured cell per op x backend/dtype, and a screenshot must come out.

usage: check_html_in_chromium.py CHROMIUM PAGE.html SCREENSHOT.png
"""
import os
import re
import subprocess
import sys

chromium, page, png = sys.argv[1:4]
flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
url = "file://" + os.path.abspath(page)
dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True,
                     timeout=120).stdout
errors = []
if 'id="matrix"' not in dom:
    errors.append("the DOM has no matrix table")
rows = re.findall(r'<td class="op">([^<]+)</td>', dom)
cells = re.findall(r'<td class="cell (pass|fail|fallback|skip|xfail|xpass)"', dom)
if not rows or len(cells) < len(rows):
    errors.append(f"{len(rows)} op rows, {len(cells)} cells")
if os.path.exists(png):
    os.remove(png)
subprocess.run([chromium, *flags, "--window-size=1000,1300", f"--screenshot={png}", url],
               capture_output=True, timeout=120)
if not os.path.exists(png) or os.path.getsize(png) < 10000:
    errors.append("no screenshot")
if errors:
    print("FAIL:", "; ".join(errors))
    sys.exit(1)
print(f"chromium loaded {page}: {len(rows)} ops, {len(cells)} cells; screenshot {png}")
