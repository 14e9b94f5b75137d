"""Which files the package carries (pyproject.toml holds everything else).

The web pages, e-mail texts and PDF layouts live in the repository's top-level
`templates/` folder; the wheel carries them inside the package, as
`valuetracker/templates/`, beside `static/` and `migrations/`
(`valuetracker.config.TEMPLATES_DIR` finds either place).
"""

from setuptools import find_namespace_packages, setup

EXCLUDE = ["*.__pycache__", "*.__pycache__.*"]
TEMPLATES = ["valuetracker.templates"] + [
    f"valuetracker.templates.{name}"
    for name in find_namespace_packages(where="templates", exclude=EXCLUDE)
]

setup(
    packages=[*find_namespace_packages(include=["valuetracker*"], exclude=EXCLUDE), *TEMPLATES],
    package_dir={"valuetracker.templates": "templates"},
    package_data={"": ["*.html", "*.txt", "*.css", "*.js", "*.svg", "*.woff", "*.woff2",
                       "*.mako", "*.ini"]},
)
