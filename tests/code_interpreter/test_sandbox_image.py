"""The sandbox image itself: the libraries OpenAI's interpreter offered, and no toolchain to build with."""

from __future__ import annotations

import subprocess


def run_in_image(image: str, script: str) -> subprocess.CompletedProcess:
    return subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "sh", image, "-c", script],
                          capture_output=True, text=True, timeout=120)


def test_data_libraries_import(sandbox_image):
    result = run_in_image(sandbox_image, "python3 -c 'import numpy, pandas, matplotlib.pyplot, scipy.stats, "
                                         "scipy.optimize, scipy.signal, sympy, sklearn.linear_model, openpyxl, "
                                         "docx, pypdf, PIL, seaborn; print(\"ok\")'")
    assert result.stdout.strip() == "ok", result.stderr


def test_no_compiler_or_dev_packages(sandbox_image):
    """Debian's scipy depends on pythran, which pulls in g++ and -dev packages; the image stubs it out."""
    result = run_in_image(sandbox_image, "command -v gcc cc g++ c++ clang; dpkg-query -W -f='${Package}\\n' "
                                         "| grep -E -- '-dev$|^(gcc|g\\+\\+|cpp)(-[0-9]+)?$' || true")
    assert result.stdout.strip() == ""
