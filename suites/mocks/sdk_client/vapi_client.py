#!/usr/bin/env python3
"""A small vAPI JSON-RPC client written to §7a of the API reference (what the SDK's runtime
sends and what its decoder demands), and a whole download-session lifecycle against the
standalone mock with it.

    vapi_client.py MOCK_BINARY [MOCK FLAGS...]

Starts MOCK_BINARY --port 0 (wall clock) with the flags (e.g. --fault NAME), runs the
lifecycle, stops the mock. Exit 0 when
every step behaved, 1 otherwise (the failing step is printed). Python 3 standard library
only: it shares no code with the harness or the mock, as an SDK team's client would not.
"""
import http.client
import json
import re
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

DS = "com.vmware.content.library.item.download_session"
FILE = "com.vmware.content.library.item.downloadsession.file"
MODEL = "com.vmware.content.library.item.download_session_model"
FILE_INFO = "com.vmware.content.library.item.downloadsession.file.info"
ENDPOINT = "com.vmware.content.library.item.transfer_endpoint"
ITEM = "6d4c2a1e-0b7f-4a53-9c1e-2f8a7b3c9d01"  # the mock's first built-in item (3 files)
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


class DecodeError(Exception):
    """The answer breaks what the SDK decoder demands (it would crash or raise)."""


class VapiError(Exception):
    """A typed vAPI error (result.error); `name` is e.g. not_found."""

    def __init__(self, name, value):
        super().__init__(name)
        self.name = name
        self.value = value


class NotFound(VapiError):
    pass


class NotAllowedInCurrentState(VapiError):
    pass


class Unauthenticated(VapiError):
    pass


TYPED = {"not_found": NotFound, "not_allowed_in_current_state": NotAllowedInCurrentState,
         "unauthenticated": Unauthenticated}


def now_ms(delta=timedelta()):
    t = datetime.now(timezone.utc) + delta
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (t.microsecond // 1000)


def optional(v):
    return {"OPTIONAL": v}


def unwrap_optional(v, where):
    """An optional in an answer: {"OPTIONAL": v}; a bare null or absence is accepted too."""
    if v is None:
        return None
    if not (isinstance(v, dict) and list(v) == ["OPTIONAL"]):
        raise DecodeError(f"{where}: an optional value not wrapped in OPTIONAL: {v!r}")
    return v["OPTIONAL"]


def unwrap_structure(v, where):
    if not (isinstance(v, dict) and list(v) == ["STRUCTURE"] and isinstance(v["STRUCTURE"], dict)
            and len(v["STRUCTURE"]) == 1):
        raise DecodeError(f"{where}: a structure not wrapped in STRUCTURE: {v!r}")
    return next(iter(v["STRUCTURE"].values()))  # the name is not checked (§7a)


def check_datetime(v, where):
    if not isinstance(v, str) or not DATETIME.match(v):
        raise DecodeError(f"{where}: date-time {v!r} is not YYYY-MM-DDThh:mm:ss.sssZ")
    return v


def decode_model(v):
    f = unwrap_structure(v, "model")
    out = {k: unwrap_optional(f.get(k), f"model.{k}") for k in
           ("id", "library_item_id", "library_item_content_version", "error_message",
            "client_progress", "state", "expiration_time")}
    if out["expiration_time"] is not None:
        check_datetime(out["expiration_time"], "model.expiration_time")
    if out["error_message"] is not None:
        out["error_message"] = unwrap_structure(out["error_message"], "model.error_message")
    return out


def decode_file_info(v):
    f = unwrap_structure(v, "file info")
    out = {"name": f["name"], "bytes_transferred": f["bytes_transferred"], "status": f["status"]}
    for k in ("size", "download_endpoint", "checksum_info", "error_message"):
        out[k] = unwrap_optional(f.get(k), f"file info.{k}")
    if out["download_endpoint"] is not None:
        out["download_endpoint"] = unwrap_structure(out["download_endpoint"], "download_endpoint")
    return out


class Client:
    def __init__(self, host, port):
        self.host, self.port, self.token = host, port, None

    def _post(self, service, operation, inputs, security):
        body = {"jsonrpc": "2.0", "method": "invoke", "id": str(uuid.uuid4()),
                "params": {"serviceId": service, "operationId": operation,
                           "input": {"STRUCTURE": {"operation-input": inputs}},
                           "ctx": {"appCtx": {"op_id": str(uuid.uuid4())},
                                   "securityCtx": security}}}
        # A new connection per call, keys sorted, UTF-8, the framed Accept header (§7a).
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request("POST", "/api", json.dumps(body, sort_keys=True).encode("utf-8"),
                         {"Content-Type": "application/json", "Connection": "TE, close",
                          "TE": "trailers", "Accept": "application/vnd.vmware.vapi.framed"})
            resp = conn.getresponse()
            status, text = resp.status, resp.read()
        finally:
            conn.close()
        if not 200 <= status < 300:
            raise DecodeError(f"{service}.{operation}: HTTP {status} (a transport exception)")
        answer = json.loads(text)
        if answer.get("jsonrpc") != "2.0":
            raise DecodeError(f"{service}.{operation}: jsonrpc is {answer.get('jsonrpc')!r}")
        if "error" in answer:
            raise DecodeError(f"{service}.{operation}: JSON-RPC error {answer['error']!r}")
        result = answer["result"]
        if ("output" in result) == ("error" in result):
            raise DecodeError(f"{service}.{operation}: result holds {sorted(result)}")
        if "error" in result:
            err = result["error"]
            if not (isinstance(err, dict) and list(err) == ["ERROR"] and len(err["ERROR"]) == 1):
                raise DecodeError(f"{service}.{operation}: error not wrapped in ERROR: {err!r}")
            (name, value), = err["ERROR"].items()
            short = name.rsplit(".", 1)[-1]
            for m in value["messages"]:
                unwrap_structure(m, "error message")
            raise TYPED.get(short, VapiError)(short, value)
        return result["output"]

    def call(self, service, operation, inputs):
        return self._post(service, operation, inputs,
                          {"schemeId": "com.vmware.vapi.std.security.session_id",
                           "sessionId": self.token})

    def void(self, service, operation, inputs):
        out = self.call(service, operation, inputs)
        if out is not None:
            raise DecodeError(f"{service}.{operation}: a void result answered {out!r}")

    def login(self, user, password):
        out = self._post("com.vmware.cis.session", "create", {},
                         {"schemeId": "com.vmware.vapi.std.security.user_pass",
                          "userName": user, "password": password,
                          "timestamp": {"created": now_ms(),
                                        "expires": now_ms(timedelta(minutes=10))}})
        if not (isinstance(out, dict) and list(out) == ["SECRET"]):
            raise DecodeError(f"login: the token is not a SECRET: {type(out).__name__}")
        self.token = out["SECRET"]

    def logout(self):
        out = self.call("com.vmware.cis.session", "delete", {})
        if out is not None:
            raise DecodeError(f"logout answered {out!r}")

    # DownloadSession, as the bindings send it: every optional present.
    def create(self, item, client_token=None):
        spec = {k: optional(None) for k in ("id", "library_item_content_version", "error_message",
                                             "client_progress", "state", "expiration_time")}
        spec["library_item_id"] = optional(item)
        return self.call(DS, "create", {"client_token": optional(client_token),
                                        "create_spec": {"STRUCTURE": {MODEL: spec}}})

    def get(self, sid):
        return decode_model(self.call(DS, "get", {"download_session_id": sid}))

    def list(self, item=None):
        return self.call(DS, "list", {"library_item_id": optional(item)})

    def keep_alive(self, sid, progress=None):
        self.void(DS, "keep_alive", {"download_session_id": sid, "progress": optional(progress)})

    def cancel(self, sid):
        self.void(DS, "cancel", {"download_session_id": sid})

    def fail(self, sid, message):
        self.void(DS, "fail", {"download_session_id": sid, "client_error_message": message})

    def delete(self, sid):
        self.void(DS, "delete", {"download_session_id": sid})

    def file_list(self, sid):
        return [decode_file_info(f) for f in self.call(FILE, "list", {"download_session_id": sid})]

    def file_prepare(self, sid, name, endpoint_type="HTTPS"):
        return decode_file_info(self.call(FILE, "prepare", {
            "download_session_id": sid, "file_name": name, "endpoint_type": optional(endpoint_type)}))

    def file_get(self, sid, name):
        return decode_file_info(self.call(FILE, "get", {"download_session_id": sid,
                                                        "file_name": name}))


def expect(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what)


def raises(cls, fn, what):
    try:
        fn()
    except cls as e:
        print(f"ok: {what} ({type(e).__name__})")
        return
    raise AssertionError(f"{what}: no {cls.__name__}")


def lifecycle(c):
    c.login("alice", "alice-pass")
    token = str(uuid.uuid4())
    sid = c.create(ITEM, token)
    expect(isinstance(sid, str) and sid, "create answers an id")
    expect(c.create(ITEM, token) == sid, "a client_token replay answers the same id")
    m = c.get(sid)
    expect(m["state"] == "ACTIVE" and m["client_progress"] == 0 and m["library_item_id"] == ITEM,
           "get: ACTIVE, progress 0, the item")
    expect(sid in c.list() and sid in c.list(ITEM), "list and list by item show it")
    files = c.file_list(sid)
    expect(len(files) == 3 and all(f["status"] == "UNPREPARED" for f in files),
           "File list: three UNPREPARED files")
    name = files[0]["name"]
    prepared = c.file_prepare(sid, name)
    expect(prepared["status"] in ("PREPARE_REQUESTED", "PREPARING", "PREPARED"),
           "File prepare answers a preparing status")
    got = c.file_get(sid, name)
    expect(got["status"] == "PREPARED" and got["download_endpoint"]["uri"].startswith("http"),
           "File get: PREPARED with a download URI")
    before = c.get(sid)["expiration_time"]
    c.keep_alive(sid, 50)
    after = c.get(sid)
    expect(after["client_progress"] == 50 and after["expiration_time"] >= before,
           "keep_alive: progress 50, expiration not earlier")
    c.cancel(sid)
    expect(c.get(sid)["state"] == "CANCELED", "cancel: CANCELED")
    raises(NotAllowedInCurrentState, lambda: c.cancel(sid), "a second cancel")
    other = c.create(ITEM)
    c.fail(other, "disk full")
    failed = c.get(other)
    expect(failed["state"] == "ERROR" and "disk full" in json.dumps(failed["error_message"]),
           "fail: ERROR with the message")
    c.delete(sid)
    c.delete(other)
    raises(NotFound, lambda: c.get(sid), "get after delete")
    expect(sid not in c.list(), "list after delete omits it")
    c.logout()
    raises(Unauthenticated, lambda: c.list(), "a call after logout")


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    mock = subprocess.Popen([sys.argv[1], "--port", "0"] + sys.argv[2:], stdout=subprocess.PIPE,
                            text=True)
    try:
        url = mock.stdout.readline().strip()
        m = re.match(r"^http://([0-9.]+):(\d+)$", url)
        if not m:
            print(f"vapi_client: the mock printed {url!r}, not its URL", file=sys.stderr)
            return 1
        lifecycle(Client(m.group(1), int(m.group(2))))
    except (AssertionError, DecodeError, VapiError, OSError, ValueError, KeyError) as e:
        print(f"FAIL: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    finally:
        mock.terminate()
        mock.wait(timeout=10)
    print("lifecycle passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
