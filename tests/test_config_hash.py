"""One config hash: the export manifest, `project show` and the dataset card name the same canonical
label config, although Label Studio stores it without the final newline."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

from annotate.labelstudio.api.client import ProjectInfo
from annotate.labelstudio.api.export import export_project, read_manifest
from annotate.labelstudio.api.projects import config_sha256

from .conftest import ROOT

CONFIG = ROOT / "projects" / "claims" / "config.xml"


class _Server:
    """What the export needs of the server: the project as Label Studio returns it (measured on
    1.23: the label config without its final newline) and an empty snapshot."""

    url = "http://127.0.0.1:1"

    def get_project(self, project_id: int) -> ProjectInfo:
        return ProjectInfo(project_id, "Claims", label_config=CONFIG.read_text(encoding="utf-8").rstrip("\n"))

    def export_snapshot(self, project_id: int, out: IO[bytes]) -> int:
        out.write(b"[]")
        return 2


def test_the_folder_and_the_server_copy_hash_the_same() -> None:
    text = CONFIG.read_text(encoding="utf-8")
    file_hash = hashlib.sha256(CONFIG.read_bytes()).hexdigest()
    assert config_sha256(text) == config_sha256(text.rstrip("\n")) == config_sha256(text.replace("\n", "\r\n"))
    assert config_sha256(text) == file_hash  # `sha256sum projects/claims/config.xml` gives it too


def test_the_manifest_and_the_card_carry_the_hash_project_show_prints(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from annotate.cli import app

    path = export_project(_Server(), 1, project="claims", out_dir=tmp_path)
    manifest = read_manifest(path)
    assert manifest["label_config_sha256"] == config_sha256(CONFIG.read_text(encoding="utf-8"))
    result = CliRunner().invoke(app, ["combine", str(path), "-o", str(tmp_path / "d"), "--allow-empty"])
    assert result.exit_code == 0, result.output
    assert f"`{manifest['label_config_sha256']}`" in (tmp_path / "d" / "README.md").read_text()
