"""The bundled content library: read, validate, list, and compose a process into a ProcessDefinition.

Files are read through importlib.resources so the library works from an installed wheel; any
directory with the same layout can be passed as `root` instead. Bad content never raises a traceback:
each problem names its file, its field path and what is wrong (`validate_library`), and the
functions that must return a value raise `ProblemsError` carrying all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import yaml
from pydantic import ValidationError

from canonical_model.process_definition import ProcessDefinition
from orchestrator.transfer.checks import consistency_problems, unit_problems
from orchestrator.transfer.library_schema import LibraryFile, ProcessTemplate, QcPanel, UnitOperation
from orchestrator.transfer.problems import Problem, ProblemsError, from_validation_error
from orchestrator.transfer.site_map import SiteMap

DEFAULT_PROCESS = "car-t-autologous"
KINDS: dict[str, type[LibraryFile]] = {
    "unit_operation": UnitOperation, "qc_panel": QcPanel, "process": ProcessTemplate, "site_map": SiteMap}
_RECIPE_PATH = re.compile(r"^master_recipe\.unit_procedures\[(\d+)\]")


@dataclass(frozen=True)
class LibraryEntry:
    kind: str
    id: str
    title: str
    file: str


@dataclass(frozen=True)
class Library:
    """Every valid file by kind and id; `problems` of the files that are not."""

    items: Mapping[str, Mapping[str, LibraryFile]]
    files: Mapping[tuple[str, str], str]
    problems: tuple[Problem, ...] = field(default=())

    def get(self, kind: str, item_id: str) -> LibraryFile | None:
        return self.items.get(kind, {}).get(item_id)


def library_root() -> Traversable:
    return files("orchestrator.transfer") / "library"


def _yaml_files(root: Traversable) -> Iterator[tuple[str, Traversable]]:
    for folder in sorted(root.iterdir(), key=lambda t: t.name):
        if folder.is_dir():
            for item in sorted(folder.iterdir(), key=lambda t: t.name):
                if item.is_file() and item.name.endswith((".yaml", ".yml")):
                    yield f"{folder.name}/{item.name}", item


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _set_points_in_unit(doc: dict[str, Any]) -> None:
    """`set_point: 37.0` is read as `{value: 37.0, unit: <the parameter's unit>}` (library shorthand)."""
    for op in _list(doc.get("unit_procedure"), "operations"):
        for phase in _list(op, "phases"):
            for param in _list(phase, "parameters"):
                point = param.get("set_point") if isinstance(param, dict) else None
                if isinstance(point, int | float) and not isinstance(point, bool):
                    param["set_point"] = {"value": point, "unit": param.get("unit")}


def parse_file(name: str, text: str) -> tuple[LibraryFile | None, list[Problem]]:
    """One library file, or the problems that make it unusable."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        return None, [Problem("unreadable", "", f"invalid YAML{where}: {getattr(error, 'problem', error)}", name)]
    if not isinstance(doc, dict):
        return None, [Problem("schema", "", "a library file is a mapping with a 'kind'", name)]
    model = KINDS.get(str(doc.get("kind")))
    if model is None:
        return None, [Problem("schema", "kind", f"{doc.get('kind')!r} is not one of {', '.join(KINDS)}", name)]
    # Units are checked as written (before the set-point shorthand), so each wrong code is named once.
    wrong_units = [Problem(p.kind, p.path, p.reason, name) for p in unit_problems(doc)]
    if doc["kind"] == "unit_operation":
        _set_points_in_unit(doc)
    try:
        item = model.model_validate(doc)
    except ValidationError as error:
        return None, from_validation_error(error, file=name) + wrong_units
    stem = name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if item.id != stem:
        return None, [Problem("schema", "id", f"{item.id!r} must equal the file name {stem!r}", name)]
    return (None, wrong_units) if wrong_units else (item, [])


def read_library(root: Traversable | None = None) -> Library:
    items: dict[str, dict[str, LibraryFile]] = {kind: {} for kind in KINDS}
    names: dict[tuple[str, str], str] = {}
    problems: list[Problem] = []
    for name, path in _yaml_files(root or library_root()):
        item, found = parse_file(name, path.read_text(encoding="utf-8"))
        problems += found
        if item is None:
            continue
        kind = next(kind for kind, model in KINDS.items() if isinstance(item, model))
        if (kind, item.id) in names:
            problems.append(Problem("schema", "id", f"{kind} {item.id!r} is also defined in {names[kind, item.id]}",
                                    name))
            continue
        items[kind][item.id] = item
        names[kind, item.id] = name
    return Library(items, names, tuple(problems))


def _resolve(template: ProcessTemplate, library: Library, file: str) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []

    def lookup(kind: str, ref: str, path: str) -> Any:
        found = library.get(kind, ref)
        broken = sorted({p.file for p in library.problems
                         if p.file and p.file.rsplit("/", 1)[-1].rsplit(".", 1)[0] == ref})
        if found is None and broken:
            problems.append(Problem("reference", path, f"{kind} {ref!r} is unusable: {broken[0]} has problems", file))
        elif found is None:
            known = ", ".join(sorted(library.items.get(kind, {}))) or "none"
            problems.append(Problem("reference", path, f"no {kind} {ref!r} in the library (known: {known})", file))
        return found

    procedures = [lookup("unit_operation", ref, f"unit_operations[{i}]")
                  for i, ref in enumerate(template.unit_operations)]
    panels = [lookup("qc_panel", ref, f"qc_panels[{i}]") for i, ref in enumerate(template.qc_panels)]
    specs = []
    for i, entry in enumerate(template.specifications):
        panel = lookup("qc_panel", entry.panel, f"specifications[{i}].panel") if entry.panel else None
        product = entry.product or (None if entry.material_id else template.product)
        specs.append({"spec_id": entry.spec_id, "version": entry.version, "product": product,
                      "material_id": entry.material_id, "limits": panel.limits if panel else entry.limits})
    return {
        "definition_id": template.definition_id, "version": template.version, "product": template.product,
        "status": "draft", "batch_size": template.batch_size,
        "master_recipe": {**template.recipe.model_dump(), "product": template.product,
                          "unit_procedures": [p.unit_procedure for p in procedures if p is not None]},
        "materials": template.materials, "bom": template.bom, "equipment_classes": template.equipment_classes,
        "specifications": specs, "sampling_plan": template.sampling_plan,
        "analytical_methods": [*template.analytical_methods,
                               *(m for panel in panels if panel is not None for m in panel.analytical_methods)],
    }, problems


def _locate(problem: Problem, template: ProcessTemplate, library: Library, file: str) -> Problem:
    """Point a problem in a composed recipe at the unit operation file it came from."""
    match = _RECIPE_PATH.match(problem.path)
    if match is None:
        return Problem(problem.kind, problem.path, problem.reason, file)
    ref = template.unit_operations[int(match[1])]
    return Problem(problem.kind, "unit_procedure" + problem.path[match.end():],
                   f"{problem.reason} (as composed into {file})", library.files.get(("unit_operation", ref), file))


def compose(template: ProcessTemplate, library: Library) -> tuple[ProcessDefinition | None, list[Problem]]:
    """The draft ProcessDefinition a process file describes, or why it cannot be built."""
    file = library.files.get(("process", template.id), f"processes/{template.id}.yaml")
    document, problems = _resolve(template, library, file)
    if problems:
        return None, problems
    try:
        definition = ProcessDefinition.model_validate(document)
    except ValidationError as error:
        return None, [_locate(p, template, library, file) for p in from_validation_error(error)]
    return definition, [_locate(p, template, library, file) for p in consistency_problems(definition)]


def validate_library(root: Traversable | None = None) -> list[Problem]:
    """Every problem of every file, including those only composing a process reveals."""
    library = read_library(root)
    problems = list(library.problems)
    for template in library.items["process"].values():
        assert isinstance(template, ProcessTemplate)
        problems += compose(template, library)[1]
    return problems


def compose_process(process_id: str = DEFAULT_PROCESS, root: Traversable | None = None) -> ProcessDefinition:
    """The library's process as a draft canonical ProcessDefinition; `ProblemsError` if it cannot be."""
    library = read_library(root)
    template = library.get("process", process_id)
    if not isinstance(template, ProcessTemplate):
        known = ", ".join(sorted(library.items["process"])) or "none"
        missing = Problem("reference", "", f"no process {process_id!r} (known: {known})")
        raise ProblemsError([*library.problems, missing])
    definition, problems = compose(template, library)
    if definition is None or problems:
        raise ProblemsError(problems)
    return definition


def load_site_map(site_map_id: str, root: Traversable | None = None) -> SiteMap:
    library = read_library(root)
    found = library.get("site_map", site_map_id)
    if not isinstance(found, SiteMap):
        bad = [p for p in library.problems if p.file == f"sites/{site_map_id}.yaml"]
        raise ProblemsError(bad or [Problem("reference", "", f"no site map {site_map_id!r} in the library")])
    return found


def list_library(root: Traversable | None = None) -> list[LibraryEntry]:
    """What the library holds (valid files only; `validate_library` says what is wrong with the rest)."""
    library = read_library(root)
    return [LibraryEntry(kind, item.id, item.title, library.files[kind, item.id])
            for kind, by_id in library.items.items() for item in by_id.values()]

