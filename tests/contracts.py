"""A contract type of our own for import-linter: ``allowed_imports``.

import-linter's own contracts forbid what is named; the code pickled into a model needs the reverse,
an allow-list: it may import only what the model's requirements install (and the standard library),
because it is loaded in an environment built from those requirements alone. ``.importlinter``
registers this type and applies it to ``portable_mlops.modeling.estimators`` and its packages.
"""

from __future__ import annotations

import sys

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class AllowedImportsContract(Contract):
    """The source modules, and every module they import directly or indirectly, import only the
    allowed top-level packages, the standard library, and one another.

    Options:
        source_modules: the modules to check.
        allowed_modules: top-level package names they may import (e.g. numpy, pandas, sklearn).
    """

    type_name = "allowed_imports"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.StringField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        sources = {m.name for m in self.source_modules}  # type: ignore[attr-defined]
        allowed = set(self.allowed_modules) | set(sys.stdlib_module_names)  # type: ignore[attr-defined]
        broken: dict[tuple[str, str], str] = {}
        for source in sorted(sources):
            reached = graph.find_upstream_modules(source) | {source}
            for module in sorted(reached):
                for imported in sorted(graph.find_modules_directly_imported_by(module)):
                    if imported in sources or imported.split(".")[0] in allowed:
                        continue
                    broken.setdefault((module, imported), source)
        rows = [{"importer": i, "imported": m, "from": s} for (i, m), s in sorted(broken.items())]
        return ContractCheck(kept=not rows, metadata={"broken": rows})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["broken"]:
            output.print_error(
                f"{item['importer']} imports {item['imported']} (reached from {item['from']}): "
                "not among the allowed packages",
                bold=False,
            )
            output.new_line()
