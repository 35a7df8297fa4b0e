"""The model's own descriptions: PEP 257 attribute docstrings, read from a class's source.

A string literal right after an annotated field documents it (as Sphinx and
IDEs read it). The stack-file schema (:mod:`knative_platform.model.schema`) and
the docs' key tables (:mod:`knative_platform.model.key_table`) take every
field's description from here, so a key's meaning is written once.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import textwrap


def field_docs(cls: type) -> dict[str, str]:
    """Each field's attribute docstring, whitespace joined, by field name; {} when the source is not available."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs = {}
    for node, after in itertools.pairwise(body):
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str)):
            docs[node.target.id] = " ".join(after.value.value.split())
    return docs
