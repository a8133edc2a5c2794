#!/usr/bin/python3
"""kinship's contract check.

  validate.py OPENAPI_JSON LOG_JSONL
      Checks every response the HTTP tests recorded (one JSON object per line:
      {"method", "path", "status", "body"}) against kinship's OpenAPI document:
      the method and path must match an operation (or, for 404/405 answers to
      requests that match no operation, the document's
      x-kinship-unrouted-responses), the status must be documented for it, and
      the body must validate against the documented schema. Exits 1 on any
      mismatch, and when the log is empty.

  validate.py --check-spec OPENAPI_JSON SEQUENCE_SPEC_JSON...
      Compares kinship's document with Sequence's (one file or several, as
      Sequence's document is cut into parts: customers, notifications and
      activity logs) for each of Sequence's operations: the operationId, the
      parameters (kinship's list starts with Sequence's, in Sequence's order,
      each with the same name spelled the same way, `in`, `required` and
      schema; anything kinship adds comes after and is optional), so that
      clients generated from either document are interchangeable; request
      body schema, success status and schema (property names, types,
      required lists, enums (less the values a schema of kinship's lists in
      x-kinship-extension-values), formats), and the error
      statuses Sequence lists. Also checks that every other operation of
      kinship's document is marked x-kinship-extension and that operationIds
      are unique. Exits 1 on any difference.

Written for Debian's python3-jsonschema 4.10 (RefResolver with the whole
document as the referrer); no other dependencies.
"""
import difflib
import json
import re
import sys
import urllib.parse

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker

METHODS = ("get", "put", "post", "delete", "patch", "options", "head", "trace")
MAX_REPORTED_ERRORS = 5


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


# ---------------------------------------------------------------- refs ----

def deref(doc, node, seen=None):
    """Follows local $refs ("#/a/b") until `node` is not a bare reference.
    Members next to a $ref are kept and win over the target's."""
    seen = seen or set()
    while isinstance(node, dict) and "$ref" in node:
        r = node["$ref"]
        if not r.startswith("#/"):
            raise ValueError("only local references are supported: %s" % r)
        if r in seen:
            raise ValueError("reference cycle at %s" % r)
        seen.add(r)
        target = doc
        for part in r[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target[part]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        node = dict(target, **siblings) if siblings else target
    return node


# ----------------------------------------------------------- formats ----

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE_TIME_RE = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")


def format_checker():
    fc = FormatChecker(formats=())
    fc.checks("uuid")(lambda v: not isinstance(v, str) or bool(UUID_RE.match(v)))
    fc.checks("date-time")(lambda v: not isinstance(v, str) or bool(DATE_TIME_RE.match(v)))
    fc.checks("int32")(lambda v: not isinstance(v, int) or -(2 ** 31) <= v < 2 ** 31)
    fc.checks("int64")(lambda v: not isinstance(v, int) or -(2 ** 63) <= v < 2 ** 63)
    return fc


# ------------------------------------------------------------ routing ----

class Operation:
    def __init__(self, method, template, op):
        self.method = method
        self.template = template
        self.op = op
        self.segments = template.split("/")[1:]
        # Literal segments win over parameters, leftmost first (as kinship's router).
        self.rank = tuple(0 if s.startswith("{") else 1 for s in self.segments)

    def matches(self, segments):
        if len(segments) != len(self.segments):
            return False
        for pat, seg in zip(self.segments, segments):
            if pat.startswith("{") and pat.endswith("}"):
                if seg == "":
                    return False
            elif pat != seg:
                return False
        return True

    def __str__(self):
        return "%s %s" % (self.method.upper(), self.template)


class Contract:
    def __init__(self, doc):
        self.doc = doc
        self.ops = []
        for template, item in doc.get("paths", {}).items():
            for method, op in item.items():
                if method in METHODS:
                    self.ops.append(Operation(method, template, op))
        self.resolver = jsonschema.RefResolver(base_uri="", referrer=doc)
        self.formats = format_checker()
        self.validators = {}

    def route(self, method, raw_path):
        """(operation or None, path_known). HEAD is answered by GET routes."""
        path = urllib.parse.urlsplit(raw_path).path
        # kinship's HTTP layer decodes the path before it is split.
        segments = urllib.parse.unquote(path).split("/")
        if not path.startswith("/"):
            return None, False
        segments = segments[1:]
        want = "get" if method.lower() == "head" else method.lower()
        candidates = [o for o in self.ops if o.matches(segments)]
        same = [o for o in candidates if o.method == want]
        if not same:
            return None, bool(candidates)
        return max(same, key=lambda o: o.rank), True

    @staticmethod
    def find_status(responses, status):
        s = str(status)
        if s in responses:
            return responses[s]
        wild = s[0] + "XX"
        if wild in responses:
            return responses[wild]
        return responses.get("default")

    def schema_for(self, response):
        """The JSON schema of a response object (None: it has no JSON body)."""
        response = deref(self.doc, response)
        for media, content in (response.get("content") or {}).items():
            if media.split(";")[0].strip().lower() == "application/json" or media.endswith("+json"):
                return content.get("schema")
        return None

    def validator(self, key, schema):
        v = self.validators.get(key)
        if v is None:
            v = Draft202012Validator(schema, resolver=self.resolver, format_checker=self.formats)
            self.validators[key] = v
        return v


def describe(err):
    where = "".join("[%d]" % p if isinstance(p, int) else "." + str(p) for p in err.absolute_path)
    return "body%s: %s" % (where or "", err.message if len(err.message) < 300 else err.message[:300] + "...")


def check_log(doc_path, log_path):
    doc = load_json(doc_path)
    contract = Contract(doc)
    unrouted = doc.get("x-kinship-unrouted-responses", {})
    any_request = doc.get("x-kinship-any-request-responses", {})

    failures = []
    checked = 0
    covered = set()
    with open(log_path, encoding="utf-8") as f:
        lines = [(i + 1, line) for i, line in enumerate(f) if line.strip()]
    for lineno, line in lines:
        try:
            rec = json.loads(line)
            method, path, status = rec["method"], rec["path"], int(rec["status"])
            body = rec.get("body")
        except (ValueError, KeyError, TypeError) as e:
            failures.append("line %d: not a log record (%s)" % (lineno, e))
            continue
        checked += 1
        label = "line %d: %s %s -> %d" % (lineno, method, path, status)
        op, path_known = contract.route(method, path)

        if op is not None:
            where = str(op)
            response = Contract.find_status(op.op.get("responses", {}), status)
            if response is None:
                response = any_request.get(str(status))
            if response is None:
                documented = ", ".join(sorted(op.op.get("responses", {})))
                failures.append("%s: status %d is not documented for %s (documented: %s)"
                                % (label, status, where, documented))
                continue
            covered.add(where)
        else:
            where = "unrouted " + ("method" if path_known else "path")
            want = 405 if path_known else 404
            response = unrouted.get(str(status)) if status == want else None
            if response is None:
                response = any_request.get(str(status))
            if response is None:
                failures.append("%s: no operation for this method and path, and %d is not an "
                                "answer the document allows for such requests" % (label, status))
                continue

        schema = contract.schema_for(response)
        if method.upper() == "HEAD":
            continue  # no body: the status and route are what can be checked
        if schema is None:
            failures.append("%s: %s documents no JSON body for status %d" % (label, where, status))
            continue
        if body is None:
            failures.append("%s: the response claims application/json but its body is not JSON"
                            % label)
            continue
        v = contract.validator((where, status), schema)
        errors = sorted(v.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            msgs = [describe(e) for e in errors[:MAX_REPORTED_ERRORS]]
            if len(errors) > MAX_REPORTED_ERRORS:
                msgs.append("... and %d more" % (len(errors) - MAX_REPORTED_ERRORS))
            failures.append("%s: body does not match %s %d:\n    %s"
                            % (label, where, status, "\n    ".join(msgs)))

    if checked == 0:
        failures.append("the log %s holds no responses: did the HTTP tests run with "
                        "KINSHIP_CONTRACT_LOG set?" % log_path)
    for msg in failures:
        print("FAIL " + msg)
    missing = sorted(str(o) for o in contract.ops if str(o) not in covered)
    if missing:
        print("note: operations no response exercised: " + ", ".join(missing))
    print("contract: %d responses checked, %d operations covered, %d failed"
          % (checked, len(covered), len(failures)))
    return 1 if failures or checked == 0 else 0


# ---------------------------------------------------------- spec diff ----

def flatten(doc, node):
    """A schema with its $refs followed and allOf parts merged in."""
    node = deref(doc, node)
    if not isinstance(node, dict) or "allOf" not in node:
        return node
    out = {k: v for k, v in node.items() if k != "allOf"}
    props = dict(out.get("properties", {}))
    req = list(out.get("required", []))
    for part in node["allOf"]:
        part = flatten(doc, part)
        for k, v in part.items():
            if k == "properties":
                props.update(v)
            elif k == "required":
                req += [r for r in v if r not in req]
            else:
                out.setdefault(k, v)
    if props:
        out["properties"] = props
    if req:
        out["required"] = req
    return out


def schema_type(s):
    t = s.get("type")
    if t is None and "properties" in s:
        return "object"
    if isinstance(t, list):
        return tuple(sorted(t))
    return t


def compare_schema(ours_doc, ours, theirs_doc, theirs, where, out, depth=0):
    if depth > 30:
        out.append("%s: schemas nest too deep to compare" % where)
        return
    o = flatten(ours_doc, ours) if ours is not None else None
    t = flatten(theirs_doc, theirs) if theirs is not None else None
    if t is None and o is None:
        return
    if t is None or o is None:
        out.append("%s: %s has a schema, %s has none"
                   % (where, "kinship" if o is not None else "Sequence",
                      "Sequence" if o is not None else "kinship"))
        return
    if schema_type(o) != schema_type(t):
        out.append("%s: type %r, Sequence has %r" % (where, schema_type(o), schema_type(t)))
    if "enum" in t or "enum" in o:
        oe, te = o.get("enum"), t.get("enum")
        # Values kinship adds, declared as such: a client of Sequence's
        # document never receives them unless it asked for them.
        own = o.get("x-kinship-extension-values") or []
        if oe is not None:
            oe = [v for v in oe if v not in own]
        if oe is None or te is None:
            out.append("%s: enum only in %s" % (where, "Sequence" if oe is None else "kinship"))
        elif set(map(json.dumps, oe)) != set(map(json.dumps, te)):
            extra = sorted(set(map(json.dumps, oe)) - set(map(json.dumps, te)))
            lack = sorted(set(map(json.dumps, te)) - set(map(json.dumps, oe)))
            out.append("%s: enum differs (kinship only: %s; Sequence only: %s)"
                       % (where, ", ".join(extra) or "-", ", ".join(lack) or "-"))
    if "format" in t and o.get("format") != t["format"]:
        out.append("%s: format %r, Sequence has %r" % (where, o.get("format"), t["format"]))
    if set(o.get("required", [])) != set(t.get("required", [])):
        out.append("%s: required %s, Sequence has %s"
                   % (where, sorted(o.get("required", [])), sorted(t.get("required", []))))
    op_, tp = o.get("properties", {}), t.get("properties", {})
    for name in sorted(set(op_) | set(tp)):
        if name not in tp:
            out.append("%s.%s: property only in kinship's schema" % (where, name))
        elif name not in op_:
            out.append("%s.%s: property missing from kinship's schema" % (where, name))
        else:
            compare_schema(ours_doc, op_[name], theirs_doc, tp[name], "%s.%s" % (where, name),
                           out, depth + 1)
    if "items" in t or "items" in o:
        compare_schema(ours_doc, o.get("items"), theirs_doc, t.get("items"), where + "[]", out,
                       depth + 1)
    ta = t.get("additionalProperties")
    if isinstance(ta, dict):
        oa = o.get("additionalProperties")
        if not isinstance(oa, dict):
            out.append("%s: Sequence allows additional properties of a schema; kinship does not"
                       % where)
        else:
            compare_schema(ours_doc, oa, theirs_doc, ta, where + "{*}", out, depth + 1)


def json_schema_of(doc, holder):
    holder = deref(doc, holder)
    if not holder:
        return None
    for media, content in (holder.get("content") or {}).items():
        if media.split(";")[0].strip().lower() == "application/json":
            return content.get("schema")
    return None


def param_line(doc, p):
    """One parameter as the comparison sees it: name (spelled as written),
    in, required, schema type."""
    p = deref(doc, p)
    schema = flatten(doc, p.get("schema") or {})
    return "%s (in %s, %s, %s)" % (p.get("name"), p.get("in"),
                                   "required" if p.get("required") else "optional",
                                   schema_type(schema))


def compare_params(ours, oop, theirs, top, where, out):
    """Sequence's parameters first, in its order and spelling; kinship's own
    after them, each optional. A difference prints both lists as a diff."""
    tlist = top.get("parameters", [])
    olist = oop.get("parameters", [])
    tl = [param_line(theirs, p) for p in tlist]
    ol = [param_line(ours, p) for p in olist]
    problems = []
    if ol[:len(tl)] != tl:
        problems.append("its first %d parameters are not Sequence's, in Sequence's order"
                        % len(tl))
    for p in olist[len(tl):]:
        if deref(ours, p).get("required"):
            problems.append("kinship's own parameter %s is required" % deref(ours, p).get("name"))
    if problems:
        diff = difflib.unified_diff(tl, ol, "Sequence", "kinship", lineterm="", n=len(tl) + len(ol))
        out.append("%s: parameters differ: %s\n      %s"
                   % (where, "; ".join(problems), "\n      ".join(list(diff)[2:])))
        return
    for tp, op_ in zip(tlist, olist):
        tp, op_ = deref(theirs, tp), deref(ours, op_)
        compare_schema(ours, op_.get("schema"), theirs, tp.get("schema"),
                       "%s parameter %s (%s)" % (where, tp["name"], tp.get("in")), out)


def check_spec(doc_path, seq_paths):
    ours = load_json(doc_path)
    diffs = []
    seq_ops = set()
    for seq_path in seq_paths:
        compare_operations(ours, load_json(seq_path), seq_ops, diffs)
    check_own_operations(ours, seq_ops, diffs)
    for d in diffs:
        print("DIFF " + d)
    print("check-spec: %d Sequence operations compared, %d differences" % (len(seq_ops), len(diffs)))
    return 1 if diffs or not seq_ops else 0


def compare_operations(ours, theirs, seq_ops, diffs):
    """Compares each operation of Sequence's document `theirs` with
    kinship's, adding it to seq_ops and what differs to diffs."""
    for template, item in theirs.get("paths", {}).items():
        for method, top in item.items():
            if method not in METHODS:
                continue
            seq_ops.add((method, template))
            where = "%s %s" % (method.upper(), template)
            oop = ours.get("paths", {}).get(template, {}).get(method)
            if oop is None:
                diffs.append("%s: missing from kinship's document" % where)
                continue
            if oop.get("x-kinship-extension"):
                diffs.append("%s: is Sequence's but marked x-kinship-extension" % where)

            if oop.get("operationId") != top.get("operationId"):
                diffs.append("%s: operationId %r, Sequence has %r"
                             % (where, oop.get("operationId"), top.get("operationId")))
            compare_params(ours, oop, theirs, top, where, diffs)
            if not (oop.get("security") or ours.get("security")):
                diffs.append("%s: kinship's document asks for no credentials" % where)

            # request body
            trb, orb = top.get("requestBody"), oop.get("requestBody")
            if (trb is None) != (orb is None):
                diffs.append("%s: request body %s" % (where, "only in kinship's document"
                                                      if trb is None else "missing"))
            elif trb is not None:
                if bool(deref(ours, orb).get("required")) != bool(deref(theirs, trb).get("required")):
                    diffs.append("%s: request body required flag differs" % where)
                compare_schema(ours, json_schema_of(ours, orb), theirs, json_schema_of(theirs, trb),
                               "%s request" % where, diffs)

            # statuses and the success answer
            tres, ores = top.get("responses", {}), oop.get("responses", {})
            tok = sorted(s for s in tres if s.startswith("2"))
            ook = sorted(s for s in ores if s.startswith("2"))
            if tok != ook:
                diffs.append("%s: success statuses %s, Sequence has %s" % (where, ook, tok))
            for s in sorted(tres):
                if s not in ores:
                    diffs.append("%s: status %s (documented by Sequence) is missing" % (where, s))
            for s in tok:
                if s in ores:
                    compare_schema(ours, json_schema_of(ours, ores[s]), theirs,
                                   json_schema_of(theirs, tres[s]), "%s %s" % (where, s), diffs)


def check_own_operations(ours, seq_ops, diffs):
    """Unique operationIds; every operation not in seq_ops an extension;
    every schema a valid JSON Schema."""
    seen_ids = {}
    for template, item in ours.get("paths", {}).items():
        for method, oop in item.items():
            if method not in METHODS:
                continue
            where = "%s %s" % (method.upper(), template)
            oid = oop.get("operationId")
            if not oid:
                diffs.append("%s: no operationId" % where)
            elif oid in seen_ids:
                diffs.append("%s: operationId %r is also %s's" % (where, oid, seen_ids[oid]))
            else:
                seen_ids[oid] = where
            if (method, template) not in seq_ops \
                    and oop.get("x-kinship-extension") is not True:
                diffs.append("%s %s: not Sequence's, but not marked x-kinship-extension: true"
                             % (method.upper(), template))

    # Every schema in kinship's document must itself be a valid 2020-12 schema.
    for name, s in ours.get("components", {}).get("schemas", {}).items():
        try:
            Draft202012Validator.check_schema(s)
        except jsonschema.SchemaError as e:
            diffs.append("components.schemas.%s: not a valid JSON Schema: %s" % (name, e.message))


def main(argv):
    if len(argv) >= 4 and argv[1] == "--check-spec":
        return check_spec(argv[2], argv[3:])
    if len(argv) == 3 and not argv[1].startswith("-"):
        return check_log(argv[1], argv[2])
    sys.stderr.write("usage: validate.py OPENAPI_JSON LOG_JSONL\n"
                     "       validate.py --check-spec OPENAPI_JSON SEQUENCE_SPEC_JSON...\n")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
