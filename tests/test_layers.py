"""The layout's rules, checked on the source: folders by stage, imports down the pipeline, Label
Studio's JSON and SDK in one folder, typer in the CLI, thin commands. A change to Label Studio's
JSON touches annotate/labelstudio/ only; these tests are how we know."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from annotate import vocabulary

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "annotate"
# Stages in pipeline order; a module may import its own stage and earlier ones, never later ones.
STAGES = ["articles", "labelstudio", "dataset", "loop", "cli"]
SHARED = {"errors", "resources", "vocabulary", "outputs", "inputs", "__init__", "__main__"}  # importable by every stage
RAW_KEYS = ("from_name", "to_name", "completed_by", "was_cancelled", "from_id")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def stage_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else Path(parts[0]).stem


def imports(path: Path) -> list[str]:
    """Every module path this file imports, at any depth (lazy imports inside functions count)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: use absolute imports (from annotate.x import y)"
            found.append(node.module or "")
    return found


def test_the_package_is_folders_by_stage() -> None:
    top = sorted(p.name for p in PACKAGE.iterdir() if not p.name.startswith(("_", ".")) or p.name == "__init__.py")
    folders = sorted(p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith(("_", ".")))
    assert folders == sorted(STAGES)
    loose = {Path(name).stem for name in top if name.endswith(".py")}
    assert loose <= SHARED, f"modules outside the stage folders: {sorted(loose - SHARED)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_the_pipeline(path: Path) -> None:
    here = stage_of(path)
    rank = STAGES.index(here) if here in STAGES else len(STAGES) if here == "__main__" else -1
    for name in imports(path):
        if not name.startswith("annotate."):
            continue
        target = name.split(".")[1]
        if target in SHARED:
            continue
        assert 0 <= STAGES.index(target) <= rank, f"{path.relative_to(ROOT)} ({here}) imports {name}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_labelstudio_folder_knows_label_studio(path: Path) -> None:
    if stage_of(path) == "labelstudio":
        return
    source = path.read_text(encoding="utf-8")
    assert not any(n.startswith("label_studio") for n in imports(path)), f"{path} imports the SDK"
    for key in RAW_KEYS:
        assert not re.search(rf"\b{key}\b", source), f"{path.relative_to(ROOT)} mentions Label Studio's {key!r}"


def test_one_module_talks_http_to_label_studio() -> None:
    """One HTTP client for every request to the server (api/http.py); label-studio-sdk is not used."""
    users = [p for p in modules() if any(n.split(".")[0] in ("httpx", "urllib", "label_studio_sdk") and
                                         n != "urllib.parse" for n in imports(p))]  # fmt: skip
    assert [p.relative_to(PACKAGE).as_posix() for p in users] == [
        "labelstudio/api/client.py",
        "labelstudio/api/http.py",
    ]


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_typer_only_in_the_cli(path: Path) -> None:
    if stage_of(path) != "cli":
        assert not any(n.split(".")[0] in ("typer", "click") for n in imports(path)), path


def test_no_import_cycles() -> None:
    graph = {}
    for path in modules():
        name = ".".join(("annotate", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(".__init__")
        graph[name] = {n for n in imports(path) if n.startswith("annotate.") and n != name}
    # Imports of a package resolve to its __init__; keep edges between known modules.
    graph = {k: {t for t in v if t in graph} for k, v in graph.items()}
    done: set[str] = set()

    def visit(node: str, trail: list[str]) -> None:
        assert node not in trail, "import cycle: " + " -> ".join([*trail[trail.index(node) :], node])
        if node in done:
            return
        for target in graph[node]:
            visit(target, [*trail, node])
        done.add(node)

    for node in graph:
        visit(node, [])


# Commands that do not build tables must not pull pandas in (0.6 s of start-up): neither their
# command modules nor the library modules they call.
NO_PANDAS = [
    "annotate.cli",
    "annotate.articles.tasks",
    "annotate.labelstudio.exported.exports",
    "annotate.labelstudio.api.load",
    "annotate.labelstudio.api.export",
    "annotate.labelstudio.api.projects",
    "annotate.labelstudio.service.server",
    "annotate.labelstudio.api.users",
]


def test_commands_that_build_no_tables_do_not_import_pandas() -> None:
    import subprocess
    import sys

    code = f"import importlib, sys\nfor m in {NO_PANDAS!r}: importlib.import_module(m)\nprint('pandas' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "False"


def _commands() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for path in sorted((PACKAGE / "cli").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(
                isinstance(d, ast.Call) and getattr(d.func, "attr", "") == "command" for d in node.decorator_list
            ):
                found.append((f"{path.stem}.{node.name}", node))
    return found


@pytest.mark.parametrize("name,node", _commands(), ids=[n for n, _ in _commands()])
def test_commands_are_thin(name: str, node: ast.FunctionDef) -> None:
    """A command parses its options, calls one library function and renders: at most 15 statements
    after its docstring, counted at every depth."""
    body = (
        node.body[1:]
        if isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
        else node.body
    )
    count = sum(isinstance(n, ast.stmt) for stmt in body for n in ast.walk(stmt))
    assert count <= 15, f"{name} has {count} statements"


# The vocabulary ------------------------------------------------------------------------------------
# The names no other module may spell: labels, relations, controls, claim statuses, id keys.
# (Common words that are also task fields, like text, title or url, are left out.)
V = vocabulary
SHARED_NAMES = {
    *V.SPAN_LABELS,
    *V.RELATION_ENDS,
    *V.CLAIM_STATUSES,
    V.CLAIM_STATUS,
    V.CLAIM_TYPES,
    V.SEGMENTATION_ISSUE,
    V.SOURCE_TYPE,
    V.NORMALIZED_CLAIM,
    V.SOURCE_OUTSIDE_SENTENCE,
    V.VERDICT,
    V.VERIFICATION_STATE,
    V.JUSTIFICATION,
    V.CLAIM_DATE,
    V.FACTCHECK_URL,
    V.ARTICLE_ID,
    V.SENTENCE_ID,
    V.SENTENCE_INDEX,
    V.CHAR_START,
    V.CHAR_END,
    V.CLAIM_ID,
    V.ADJUDICATION_OF,
    *V.ROW_FIELDS,
    V.CLUSTER_ID,  # (MENTIONS and PAST_CHECKS are also report keys of `annotate match`)
    V.MENTION_OPTIONS,
    V.PREVIOUSLY_CHECKED,
    V.SAME_CLAIM,
    V.VERDICT_SOURCE,
    *V.VERDICT_SOURCES,
}


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_but_the_vocabulary_spells_its_names(path: Path) -> None:
    if path.name == "vocabulary.py":
        return
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert node.value not in SHARED_NAMES, f"{path.relative_to(ROOT)}:{node.lineno} spells {node.value!r}"


def _config_names(project: str) -> tuple[set[str], set[str], set[str]]:
    """(control names, stored values of labels and choices, relation names) of a project's config."""
    import defusedxml.ElementTree as SafeET

    root = SafeET.parse(ROOT / "projects" / project / "config.xml").getroot()
    controls = {e.get("name") for e in root.iter() if e.get("toName") and e.get("name")}
    values = {e.get("alias") or e.get("value") for e in root.iter() if e.tag in ("Label", "Choice")}
    return controls, values, {e.get("alias") or e.get("value") for e in root.iter("Relation")}


def test_the_vocabulary_matches_the_claims_config() -> None:
    controls, values, relations = _config_names("claims")
    v = vocabulary
    assert {v.SPAN_CONTROL, v.CLAIM_STATUS, v.CLAIM_TYPES, v.SOURCE_TYPE, v.NORMALIZED_CLAIM,
            v.SOURCE_OUTSIDE_SENTENCE, v.SEGMENTATION_ISSUE} == controls  # fmt: skip
    assert set(v.SPAN_LABELS) | set(v.CLAIM_STATUSES) <= values
    assert relations == set(v.RELATION_ENDS)
    assert {end for ends in v.RELATION_ENDS.values() for end in ends} <= set(v.SPAN_LABELS)


def test_the_vocabulary_matches_the_verification_config() -> None:
    controls, values, _ = _config_names("verification")
    v = vocabulary
    wanted = {v.VERDICT, v.VERIFICATION_STATE, v.JUSTIFICATION, v.CLAIM_DATE, v.FACTCHECK_URL}
    wanted |= {v.evidence_control(slot, part) for slot in v.EVIDENCE_SLOTS for part in ("url", "stance", "excerpt")}
    wanted.add(v.SAME_CLAIM)
    assert wanted <= controls
    assert {v.VERIFIED, v.SUPPORTS_STANCE, v.REFUTES_STANCE} <= values


def test_the_cluster_fields_match_the_verification_config() -> None:
    """same_claim takes its choices from the task's mention_options; the past check is shown."""
    import defusedxml.ElementTree as SafeET

    root = SafeET.parse(ROOT / "projects" / "verification" / "config.xml").getroot()
    (same_claim,) = [e for e in root.iter("Choices") if e.get("name") == vocabulary.SAME_CLAIM]
    assert same_claim.get("value") == f"${vocabulary.MENTION_OPTIONS}" and same_claim.get("choice") == "multiple"
    assert f"${vocabulary.PREVIOUSLY_CHECKED}" in {e.get("value") for e in root.iter("Text")}


def test_the_relation_ends_decide_unlabelled_relations() -> None:
    assert vocabulary.relation_between(vocabulary.SOURCE, vocabulary.CLAIM) == vocabulary.ATTRIBUTED_TO
    assert vocabulary.relation_between(vocabulary.CLAIM, vocabulary.CUE) == vocabulary.CUE_OF
    assert vocabulary.relation_between(vocabulary.CUE, vocabulary.SOURCE) is None
    assert vocabulary.relation_between(vocabulary.CLAIM, vocabulary.CLAIM) is None


# Everything outside the package that imports it moves with it -------------------------------------
SCRIPTS = sorted([*(ROOT / "benchmarks").glob("*.py"), *(ROOT / "examples").glob("*.py")])


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_benchmarks_and_examples_import(path: Path) -> None:
    """Each script loads as a module (its main part runs only as a script), so every annotate name it
    imports, at the top or inside its functions, still exists."""
    import importlib
    import importlib.util
    import sys

    sys.path.insert(0, str(path.parent))
    try:
        spec = importlib.util.spec_from_file_location(f"script_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    finally:
        sys.path.remove(str(path.parent))
    for name in imports(path):
        if name.startswith("annotate"):
            importlib.import_module(name)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("annotate"):
            target = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(target, alias.name) or importlib.util.find_spec(f"{node.module}.{alias.name}"), (
                    f"{path.name}: {node.module} has no {alias.name}"
                )


def test_tests_import_nothing_from_examples() -> None:
    """examples/ is not a package: a distribution with a top-level `examples` (pysbd ships one) would
    win the import. What examples and tests share lives in tests/ or the library."""
    for path in (ROOT / "tests").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])  # fmt: skip
            assert not any(n == "examples" or n.startswith("examples.") for n in names), path


MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60  # the body: signature and docstring aside


def test_no_module_over_600_lines_and_no_function_body_over_60() -> None:
    """Small modules with one job each, small functions (ruff's C901 holds complexity at 20)."""
    too_long = []
    for path in modules():
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > MAX_MODULE_LINES:
            too_long.append(f"{path.relative_to(ROOT)}: {source.count(chr(10))} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                docstring = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
                first = body[1] if docstring and len(body) > 1 else body[0]
                lines = node.end_lineno - first.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {lines} lines")
    assert not too_long, "\n".join(too_long)
