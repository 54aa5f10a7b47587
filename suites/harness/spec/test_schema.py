#!/usr/bin/env python3
"""specs/spec.schema.json: a valid draft 2020-12 schema that accepts the shipped spec
and rejects bad documents. With --conformance, each bad document is also checked
against the loader (`conformance spec check` must exit 2), so schema and loader agree.

Needs jsonschema (Debian: python3-jsonschema). Exit 0 on success, 1 otherwise.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("test_schema: python module jsonschema missing (install python3-jsonschema)", file=sys.stderr)
    sys.exit(1)

KEEP_ALIVE = ("services", 0, "operations", 3)
CANCEL = ("services", 0, "operations", 4)
API_CREATE = ("bindings", "api", "operations", "DownloadSession.create")


def at(doc, path):
    for key in path:
        doc = doc[key]
    return doc


def set_at(path, value):
    def mutate(doc):
        at(doc, path[:-1])[path[-1]] = value
    return mutate


def erase_at(path):
    def mutate(doc):
        del at(doc, path[:-1])[path[-1]]
    return mutate


# name -> (mutation of the shipped spec, the path where the schema must object:
# there or at its parent).
# Each mutation yields a document the format forbids.
BAD = {
    "unknown top-level key": (set_at(("extensions",), {}), ()),
    "unsupported format_version": (set_at(("format_version",), 2), ("format_version",)),
    "unknown check kind": (set_at(CANCEL + ("preconditions", 1, "check"), "state_is"),
                           CANCEL + ("preconditions", 1, "check")),
    "unknown effect kind": (set_at(CANCEL + ("effects", 0, "effect"), "set_status"),
                            CANCEL + ("effects", 0, "effect")),
    "unknown returns kind": (set_at(CANCEL + ("returns", "kind"), "nothing"), CANCEL + ("returns", "kind")),
    "inferred clause without reason": (erase_at(CANCEL + ("effects", 0, "clause", "reason")),
                                       CANCEL + ("effects", 0, "clause")),
    "open clause with empty reason": (set_at(KEEP_ALIVE + ("preconditions", 2, "clause", "reason"), ""),
                                      KEEP_ALIVE + ("preconditions", 2, "clause", "reason")),
    "clause id not dotted lower_snake_case": (set_at(CANCEL + ("preconditions", 1, "clause", "id"), "Cancel.Active"),
                                              CANCEL + ("preconditions", 1, "clause", "id")),
    "clause id with empty segment": (set_at(CANCEL + ("preconditions", 1, "clause", "id"), "cancel..active"),
                                     CANCEL + ("preconditions", 1, "clause", "id")),
    "unknown key in clause": (set_at(CANCEL + ("preconditions", 1, "clause", "severity"), "high"),
                              CANCEL + ("preconditions", 1, "clause")),
    "string where integer": (set_at(("errors", "NOT_FOUND", "http_status"), "404"),
                             ("errors", "NOT_FOUND", "http_status")),
    "object where array": (set_at(("services", 0, "operations", 0, "params"), {}),
                           ("services", 0, "operations", 0, "params")),
    "missing required key": (erase_at(("service", "title")), ("service",)),
    "check with a foreign key": (set_at(CANCEL + ("preconditions", 0, "states"), ["ACTIVE"]),
                                 CANCEL + ("preconditions", 0, "states")),
    "state_in without states": (erase_at(CANCEL + ("preconditions", 1, "states")), CANCEL + ("preconditions", 1)),
    "void returns with resource": (set_at(CANCEL + ("returns", "resource"), "DownloadSession"),
                                   CANCEL + ("returns", "resource")),
    "success status out of range": (set_at(API_CREATE + ("success_status",), 302), API_CREATE + ("success_status",)),
    "whole body outside the body": (set_at(API_CREATE + ("params", "create_spec", "in"), "query"),
                                    API_CREATE + ("params", "create_spec", "in")),
    "clause inside an alternative": (
        set_at(API_CREATE + ("params", "client_token", "alternatives", 0, "clause"),
               {"id": "a.b", "provenance": "documented", "summary": "s"}),
        API_CREATE + ("params", "client_token", "alternatives", 0)),
    "stable value with at": (
        set_at(("services", 0, "operations", 0, "effects", 0, "fields", "library_item_content_version", "at"), "x"),
        ("services", 0, "operations", 0, "effects", 0, "fields", "library_item_content_version")),
    "external resource with states": (set_at(("resources", "LibraryItem", "states"),
                                             {"field": "state", "type": "X", "initial": "A"}),
                                      ("resources", "LibraryItem")),
    "not a type expression": (set_at(("types", "LocalizableMessage", "fields", "args", "type"), "list<string"),
                              ("types", "LocalizableMessage", "fields", "args", "type")),
    "no binding": (set_at(("bindings",), {}), ("bindings",)),
    "wrapped result without key": (erase_at(("bindings", "rest", "result", "key")), ("bindings", "rest", "result")),
}


def error_paths(errors):
    """The instance paths of the errors and of everything under them (oneOf branches...)."""
    paths = set()
    stack = list(errors)
    while stack:
        e = stack.pop()
        paths.add(tuple(e.absolute_path))
        stack.extend(e.context or [])
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--spec", required=True)
    parser.add_argument("--conformance", help="the conformance binary, to check the loader agrees")
    args = parser.parse_args()

    with open(args.schema, encoding="utf-8") as f:
        schema = json.load(f)
    with open(args.spec, encoding="utf-8") as f:
        spec = json.load(f)

    failures = []
    validator_class = jsonschema.validators.validator_for(schema)
    if validator_class is not jsonschema.Draft202012Validator:
        failures.append(f"schema does not declare draft 2020-12 (got {validator_class.__name__})")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.exceptions.SchemaError as e:
        print(f"FAIL: the schema is not a valid draft 2020-12 schema: {e.message}", file=sys.stderr)
        return 1
    validator = jsonschema.Draft202012Validator(schema)

    errors = sorted(validator.iter_errors(spec), key=lambda e: list(e.absolute_path))
    for e in errors:
        failures.append(f"shipped spec rejected at /{'/'.join(map(str, e.absolute_path))}: {e.message}")

    with tempfile.TemporaryDirectory(prefix="harness-schema-") as tmp:
        for name, (mutate, where) in BAD.items():
            doc = copy.deepcopy(spec)
            mutate(doc)
            if doc == spec:
                failures.append(f"{name}: the mutation changed nothing")
                continue
            errors_here = list(validator.iter_errors(doc))
            if not errors_here:
                failures.append(f"{name}: accepted by the schema")
            elif not any(p == tuple(where) or p == tuple(where)[:-1] for p in error_paths(errors_here)):
                # (at the value itself or at its object: jsonschema versions differ on where
                # a `false` property schema reports)
                seen = sorted("/" + "/".join(map(str, p)) for p in error_paths(errors_here))
                failures.append(f"{name}: rejected, but not at /{'/'.join(map(str, where))} (at {seen})")
            if args.conformance:
                path = os.path.join(tmp, name.replace(" ", "-") + ".json")
                with open(path, "w", encoding="utf-8") as f:
                    json.dump(doc, f)
                run = subprocess.run([args.conformance, "spec", "check", path], capture_output=True, text=True)
                if run.returncode != 2:
                    failures.append(f"{name}: the loader answered exit {run.returncode}, expected 2")

    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    print(f"test_schema: shipped spec {'rejected' if errors else 'accepted'}; "
          f"{len(BAD)} bad documents; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
