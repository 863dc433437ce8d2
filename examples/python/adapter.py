#!/usr/bin/env python3
"""A client adapter for cdm-conformance, in Python (standard library + the openssl command).

cdm-conformance runs it once per certification case, as `sh -c "python3 adapter.py"`,
with these variables set (the README's adapter protocol):

  CDM_BASE_URL      post to $CDM_BASE_URL/v2.0/cdm/cdm-mpm-generate
  CDM_PARTNER_ID    X-PARTNER-ID
  CDM_CLIENT_KEY    signed with the timestamp, never sent
  CDM_ACCESS_TOKEN  sent as "Authorization: Bearer <token>"
  CDM_REQUEST       the JSON body to send, as is
  CDM_CASE_ID       the case, for logs

It signs with ADAPTER_PRIVATE_KEY (default: the harness's public test key,
src/testkeys/partner-private.pem), makes the call with retries, and prints one
JSON object as the last line of standard output. Logs go to standard error.

In a real integration, this is where your own client library is called; the
adapter only translates between the protocol and your code.

To see certification fail, set CDM_ADAPTER_FLAW to one of:
  utc-timestamp, wrong-signing-text, never-retry, success-on-malformed
"""

import base64
import datetime
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

PATH = "/v2.0/cdm/cdm-mpm-generate"
ATTEMPT_TIMEOUT_S = 8  # the API's expected timeout, per attempt
MAX_RETRIES = 2  # the contract allows 1 to 3 after a timeout or unexpected answer
JAKARTA = datetime.timezone(datetime.timedelta(hours=7))

# The response code table: what a partner does after each code.
SUCCESS = "2009000"
NO_RESEND = {"4009000", "4009001", "4009002", "4019000", "4019001", "4039002",
             "4039005", "4039015", "4049008", "4049018"}
MAY_RETRY = {"4299000", "5009000", "5009001"}

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = os.environ.get("ADAPTER_PRIVATE_KEY",
                     os.path.join(HERE, "..", "..", "src", "testkeys", "partner-private.pem"))
FLAW = os.environ.get("CDM_ADAPTER_FLAW", "")


def log(*parts):
    print(f"[{os.environ.get('CDM_CASE_ID', '?')}]", *parts, file=sys.stderr, flush=True)


def timestamp():
    """X-TIMESTAMP: Jakarta time, exactly YYYY-MM-DDTHH:mm:ss+07:00."""
    if FLAW == "utc-timestamp":
        return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.datetime.now(JAKARTA).strftime("%Y-%m-%dT%H:%M:%S+07:00")


def sign(text):
    """SHA256withRSA (RSASSA-PKCS1-v1_5), standard base64."""
    out = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY],
                         input=text.encode("utf-8"), capture_output=True, check=True)
    return base64.b64encode(out.stdout).decode("ascii")


def attempt(body):
    """One signed POST. Returns (status, parsed JSON or None), or None on no answer in time."""
    ts = timestamp()
    signed_key = os.environ["CDM_PARTNER_ID"] if FLAW == "wrong-signing-text" else os.environ["CDM_CLIENT_KEY"]
    request = urllib.request.Request(
        os.environ["CDM_BASE_URL"].rstrip("/") + PATH,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Authorization": "Bearer " + os.environ["CDM_ACCESS_TOKEN"],
            "X-TIMESTAMP": ts,
            "X-SIGNATURE": sign(signed_key + "|" + ts),
            "X-PARTNER-ID": os.environ["CDM_PARTNER_ID"],
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=ATTEMPT_TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as e:  # 4xx and 5xx still carry a SNAP body
        status, raw = e.code, e.read()
    except (socket.timeout, TimeoutError):
        log("no answer within", ATTEMPT_TIMEOUT_S, "s")
        return None
    except urllib.error.URLError as e:
        log("no answer:", e.reason)
        return None
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    return status, parsed if isinstance(parsed, dict) else None


def judge(answer):
    """('success', fields) | ('failed', code) | ('retry', code)."""
    if answer is None:
        return "retry", None
    status, body = answer
    code = body.get("responseCode") if body else None
    if not isinstance(code, str):
        return "retry", None
    if code == SUCCESS:
        fields = {k: body.get(k) for k in ("cdmReferenceId", "cdmQrcode", "status")}
        complete = all(isinstance(v, str) and v for v in fields.values()) and fields["status"] in ("ACTIVE", "INACTIVE")
        if complete or FLAW == "success-on-malformed":
            return "success", fields
        return "retry", code
    if code in NO_RESEND:
        return "failed", code
    return "retry", code  # MAY_RETRY, or a code outside the table


def main():
    body = os.environ["CDM_REQUEST"].encode("utf-8")  # sent exactly as given
    retries = 0 if FLAW == "never-retry" else MAX_RETRIES
    for n in range(1, retries + 2):
        verdict, detail = judge(attempt(body))
        log("attempt", n, verdict, detail)
        if verdict == "success":
            print(json.dumps({"outcome": "success", **detail}))
            return
        if verdict == "failed":
            print(json.dumps({"outcome": "failed", "responseCode": detail}))
            return
        if n <= retries:
            time.sleep(1)  # a later X-TIMESTAMP on the retry
    print(json.dumps({"outcome": "failed", "responseCode": detail}))


if __name__ == "__main__":
    main()
