"""`make docs` builds the documentation site with no warning, and every page says something real.

The site is built once per test session into a temporary folder, by the Makefile's own target (so the
flags tested are the ones users get: -W --keep-going, nitpicky, the notebooks executed at their small
size), with this interpreter's environment as the venv.  Then: every page of the four parts and the
lesson exists; the generated references list what the code has (every scenario field, every metric,
every command and flag, every public name); the tutorials show executed output images; nothing is
loaded from the network.  Two small builds of a copy of docs/ show the build fails on a broken
cross-reference and on a notebook that raises.
"""

from __future__ import annotations

import fcntl
import html
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import orgsim
from orgsim import metrics
from orgsim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import cli_reference  # noqa: E402  (docs/_ext, put on the path above)
import site_checks  # noqa: E402

PAGES = [
    "index", "tutorials/index", "howto/index", "howto/write-your-firm", "howto/compare-two-plans", "howto/next-head",
    "howto/cluster", "howto/resume", "howto/what-if-page", "reference/index", "reference/scenario", "reference/metrics",
    "reference/cli", "reference/api", "background/index", "background/model", "background/validation", "background/design",
    "teaching/lesson",
]  # fmt: skip
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def make_docs(out: Path, source: Path = DOCS) -> subprocess.CompletedProcess:
    """Run `make docs` into *out* (from a copy of the sources when *source* is not docs/)."""
    args = ["make", "-s", "docs", f"VENV={sys.prefix}", f"DOCS_OUT={out}"]
    if source != DOCS:  # the Makefile builds docs/: point sphinx at the copy instead
        return subprocess.run(
            [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(source), str(out)],
            capture_output=True, text=True, timeout=900,
        )
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site, built once per test session: pytest-xdist workers share the build through a locked folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # xdist: the session's, all workers'
    out, log = shared / "docs-site" / "html", shared / "docs-site.log"
    with open(shared / "docs-site.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not log.exists():
            done = make_docs(out)
            log.write_text(f"{done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}", encoding="utf-8")
    status, _, output = log.read_text(encoding="utf-8").partition("\n")
    assert status == "0", f"make docs failed:\n{output}"
    assert ": WARNING:" not in output and "ERROR" not in output, output[-3000:]
    return out


def text_of(site: Path, page: str) -> str:
    """A built page's visible text (tags dropped, entities decoded, spaces collapsed)."""
    raw = (site / f"{page}.html").read_text(encoding="utf-8")
    body = raw[raw.index('<article'):raw.index("</article>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_every_page_exists_with_real_content(site):
    for page in PAGES:
        words = len(text_of(site, page).split())
        least = 60 if page.endswith("index") else 150  # a part's front page introduces its pages; the pages say more
        assert words > least, f"{page}: only {words} words"
    for nb in NOTEBOOKS:
        assert (site / "tutorials" / "notebooks" / f"{nb.stem}.html").exists(), f"no page for {nb.name}"


def test_the_scenario_reference_lists_every_field_of_the_schema(site):
    page = text_of(site, "reference/scenario")
    assert "departments.<name>.headcount" in page
    assert "segments.<name>.journey" in page and "policy.investments.training" in page
    schema = Scenario.model_json_schema()
    squeezed = "".join(page.split())  # markup splits the text at code spans: compare without spaces
    for model in [schema, *schema["$defs"].values()]:
        for field, prop in model["properties"].items():
            assert field in page, field
            if "description" in prop:
                assert "".join(prop["description"].replace("`", "").split()) in squeezed, prop["description"]


def test_the_metric_reference_lists_every_metric_with_its_range(site):
    page = text_of(site, "reference/metrics")
    for name, meaning in metrics.MEANINGS.items():
        assert name in page and meaning in page, name
    assert "-100 to 100" in page and "0 to 10" in page  # NPS and CSAT ranges, from KINDS


def test_the_cli_reference_lists_every_command_and_flag_the_parser_has(site):
    page = text_of(site, "reference/cli")
    commands = cli_reference.commands(cli_reference.parser())
    assert len(commands) >= 10
    for name, parser in commands.items():
        assert f"orgsim {name}" in page, name
        for action in parser._actions:
            for flag in action.option_strings:
                if flag not in ("-h", "--help"):
                    assert flag in page, f"orgsim {name} {flag}"
    assert "(default: 20)" in page  # run's -r default, as --help shows it


def test_the_api_reference_documents_every_public_name(site):
    raw = (site / "reference" / "api.html").read_text(encoding="utf-8")
    for name in orgsim.__all__:
        assert f'id="orgsim.{name}"' in raw, name
    assert "Parameters" in raw and "replications" in raw  # numpydoc sections rendered


def test_the_tutorials_show_executed_outputs(site):
    for nb in NOTEBOOKS:
        raw = (site / "tutorials" / "notebooks" / f"{nb.stem}.html").read_text(encoding="utf-8")
        images = re.findall(r'<img[^>]+src="([^"]+\.png)"', raw)
        assert images, f"{nb.name}: no output image"
        png = (site / "tutorials" / "notebooks" / images[0]).resolve()
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
        assert "cell_output" in raw and "Traceback" not in raw, nb.name


def test_the_validation_page_computed_its_numbers(site):
    page = text_of(site, "background/validation")
    assert "Erlang A" in page and "within CI" in page and "external.abandon_rate" in page


def test_the_model_page_is_the_readme_model_section(site):
    page = text_of(site, "background/model")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    model = readme[readme.index("## Model") : readme.index("## Metrics")]
    titles = re.findall(r"\*\*([^*]+)\*\*", model)
    assert len(titles) >= 10
    for title in titles:  # every paragraph of the README's Model section, by its bold title
        assert title in page, title
    assert "defect_probability(defect_rate, m)" in page


def test_the_lesson_has_questions_with_answers(site):
    page = text_of(site, "teaching/lesson")
    questions = re.findall(r"Q(\d+)\.", page)
    assert len(questions) >= 12 and "expected answer" in page
    assert "orgsim trace classroom --until 8" in page


def test_nothing_is_loaded_from_the_network(site):
    assert site_checks.remote_loads(site) == []
    assert not list(site.rglob("*mathjax*")), "MathJax would load from a CDN"


def test_the_offline_check_finds_a_remote_script(tmp_path):
    (tmp_path / "page.html").write_text('<p>x</p><script src="https://cdn.example.org/x.js"></script>', encoding="utf-8")
    (tmp_path / "ok.html").write_text('<a href="https://example.org">a link is fine</a>', encoding="utf-8")
    found = site_checks.remote_loads(tmp_path)
    assert len(found) == 1 and found[0].startswith("page.html")


def test_the_docstring_check_finds_an_undocumented_public_function(monkeypatch):
    assert site_checks.undocumented() == []

    def naked():
        pass

    monkeypatch.setattr(orgsim, "naked", naked, raising=False)
    monkeypatch.setattr(orgsim, "__all__", [*orgsim.__all__, "naked"])
    assert site_checks.undocumented() == ["orgsim.naked"]


def _copy_without_notebooks(tmp_path: Path, notebooks: Path) -> Path:
    """docs/ copied, its tutorials pointing at *notebooks* instead of the real ones."""
    source = tmp_path / "docs"
    shutil.copytree(DOCS, source, symlinks=True, ignore=shutil.ignore_patterns("_build", "_generated"))
    link = source / "tutorials" / "notebooks"
    link.unlink()
    link.symlink_to(notebooks, target_is_directory=True)
    return source


def _notebooks(folder: Path, code: str) -> None:
    """A stand-in for each real notebook (same name, so every link to it holds): a title and *code*."""
    import nbformat

    folder.mkdir()
    for real in NOTEBOOKS:
        cells = [nbformat.v4.new_markdown_cell(f"# {real.stem}"), nbformat.v4.new_code_cell(code)]
        nb = nbformat.v4.new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, folder / real.name)


def test_the_build_fails_on_a_broken_cross_reference(tmp_path):
    _notebooks(tmp_path / "notebooks", "print(1 + 1)")
    source = _copy_without_notebooks(tmp_path, tmp_path / "notebooks")
    page = source / "howto" / "write-your-firm.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nSee {doc}`no-such-page`.\n", encoding="utf-8")
    done = make_docs(tmp_path / "out", source)
    assert done.returncode != 0
    assert "no-such-page" in done.stderr


def test_the_build_fails_on_a_notebook_that_raises(tmp_path):
    _notebooks(tmp_path / "notebooks", "raise RuntimeError('planted failure')")
    source = _copy_without_notebooks(tmp_path, tmp_path / "notebooks")
    done = make_docs(tmp_path / "out", source)
    assert done.returncode != 0
    assert "planted failure" in done.stdout + done.stderr
