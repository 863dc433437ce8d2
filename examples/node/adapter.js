#!/usr/bin/env node
/**
 * A client adapter for cdm-conformance, in Node.js (v20, standard library only).
 *
 * cdm-conformance runs it once per certification case, as `sh -c "node adapter.js"`,
 * with these variables set (the README's adapter protocol):
 *
 *   CDM_BASE_URL      post to $CDM_BASE_URL/v2.0/cdm/cdm-mpm-generate
 *   CDM_PARTNER_ID    X-PARTNER-ID
 *   CDM_CLIENT_KEY    signed with the timestamp, never sent
 *   CDM_ACCESS_TOKEN  sent as "Authorization: Bearer <token>"
 *   CDM_REQUEST       the JSON body to send, as is
 *   CDM_CASE_ID       the case, for logs
 *
 * It signs with ADAPTER_PRIVATE_KEY (default: the harness's public test key,
 * src/testkeys/partner-private.pem), makes the call with retries, and prints one
 * JSON object as the last line of standard output. Logs go to standard error.
 *
 * In a real integration, this is where your own client library is called; the
 * adapter only translates between the protocol and your code.
 *
 * To see certification fail, set CDM_ADAPTER_FLAW to one of:
 *   utc-timestamp, wrong-signing-text, never-retry, success-on-malformed
 */

"use strict";

const crypto = require("node:crypto");
const fs = require("node:fs");
const http = require("node:http");
const https = require("node:https");
const path = require("node:path");

const PATH = "/v2.0/cdm/cdm-mpm-generate";
const ATTEMPT_TIMEOUT_MS = 8000; // the API's expected timeout, per attempt
const MAX_RETRIES = 2; // the contract allows 1 to 3 after a timeout or unexpected answer
const JAKARTA_OFFSET_MS = 7 * 60 * 60 * 1000; // UTC+07:00, no daylight saving

// The response code table: what a partner does after each code.
const SUCCESS = "2009000";
const NO_RESEND = new Set(["4009000", "4009001", "4009002", "4019000", "4019001", "4039002",
  "4039005", "4039015", "4049008", "4049018"]);
const MAY_RETRY = new Set(["4299000", "5009000", "5009001"]); // eslint-disable-line no-unused-vars

const KEY = process.env.ADAPTER_PRIVATE_KEY
  || path.join(__dirname, "..", "..", "src", "testkeys", "partner-private.pem");
const FLAW = process.env.CDM_ADAPTER_FLAW || "";

function log(...parts) {
  process.stderr.write(`[${process.env.CDM_CASE_ID || "?"}] ${parts.map(String).join(" ")}\n`);
}

/** X-TIMESTAMP: Jakarta time, exactly YYYY-MM-DDTHH:mm:ss+07:00. */
function timestamp() {
  const now = Date.now();
  if (FLAW === "utc-timestamp") {
    return new Date(now).toISOString().slice(0, 19) + "Z";
  }
  // Shift the clock by +7 h, then read it as if it were UTC.
  return new Date(now + JAKARTA_OFFSET_MS).toISOString().slice(0, 19) + "+07:00";
}

/** SHA256withRSA (RSASSA-PKCS1-v1_5), standard base64. */
function sign(text) {
  const key = fs.readFileSync(KEY, "utf8");
  return crypto.sign("sha256", Buffer.from(text, "utf8"), {
    key,
    padding: crypto.constants.RSA_PKCS1_PADDING,
  }).toString("base64");
}

/** One POST; resolves to {status, raw}, or null on no answer in time. Never rejects. */
function post(url, body, headers) {
  return new Promise((resolve) => {
    let settled = false;
    let timer;
    const done = (value) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(value);
      }
    };
    let request;
    try {
      const target = new URL(url);
      const client = target.protocol === "https:" ? https : http;
      request = client.request(target, {
        method: "POST",
        headers: { ...headers, "Content-Length": body.length },
        agent: false, // a fresh connection per attempt, nothing left open afterwards
      }, (response) => {
        const chunks = [];
        response.on("data", (chunk) => chunks.push(chunk));
        response.on("end", () => done({ status: response.statusCode, raw: Buffer.concat(chunks) }));
        response.on("error", (e) => {
          log("no answer:", e.message);
          done(null);
        });
      });
    } catch (e) {
      log("no answer:", e.message);
      done(null);
      return;
    }
    // The whole attempt, connect to last byte, must fit in the expected timeout.
    timer = setTimeout(() => {
      log("no answer within", ATTEMPT_TIMEOUT_MS / 1000, "s");
      done(null);
      request.destroy();
    }, ATTEMPT_TIMEOUT_MS);
    request.on("error", (e) => {
      if (!settled) log("no answer:", e.message);
      done(null);
    });
    request.end(body);
  });
}

/** One signed POST. Resolves to {status, body: parsed JSON object or null}, or null on no answer in time. */
async function attempt(body) {
  const ts = timestamp();
  const signedKey = FLAW === "wrong-signing-text" ? process.env.CDM_PARTNER_ID : process.env.CDM_CLIENT_KEY;
  const answer = await post(process.env.CDM_BASE_URL.replace(/\/+$/, "") + PATH, body, {
    "Content-Type": "application/json",
    "Authorization": "Bearer " + process.env.CDM_ACCESS_TOKEN,
    "X-TIMESTAMP": ts,
    "X-SIGNATURE": sign(signedKey + "|" + ts),
    "X-PARTNER-ID": process.env.CDM_PARTNER_ID,
  });
  if (answer === null) return null;
  // 4xx and 5xx still carry a SNAP body; anything that is not a JSON object counts as no body.
  let parsed = null;
  try {
    parsed = JSON.parse(answer.raw.toString("utf8"));
  } catch {
    parsed = null;
  }
  const isObject = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed);
  return { status: answer.status, body: isObject ? parsed : null };
}

/** ['success', fields] | ['failed', code] | ['retry', code]. */
function judge(answer) {
  if (answer === null) return ["retry", null];
  const { body } = answer;
  const code = body ? body.responseCode : undefined;
  if (typeof code !== "string") return ["retry", null];
  if (code === SUCCESS) {
    const fields = {};
    for (const k of ["cdmReferenceId", "cdmQrcode", "status"]) fields[k] = body[k] ?? null;
    const complete = Object.values(fields).every((v) => typeof v === "string" && v !== "")
      && (fields.status === "ACTIVE" || fields.status === "INACTIVE");
    if (complete || FLAW === "success-on-malformed") return ["success", fields];
    return ["retry", code];
  }
  if (NO_RESEND.has(code)) return ["failed", code];
  return ["retry", code]; // MAY_RETRY, or a code outside the table
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const body = Buffer.from(process.env.CDM_REQUEST, "utf8"); // sent exactly as given
  const retries = FLAW === "never-retry" ? 0 : MAX_RETRIES;
  let detail = null;
  for (let n = 1; n <= retries + 1; n++) {
    let verdict;
    [verdict, detail] = judge(await attempt(body));
    log("attempt", n, verdict, JSON.stringify(detail));
    if (verdict === "success") {
      console.log(JSON.stringify({ outcome: "success", ...detail }));
      return;
    }
    if (verdict === "failed") {
      console.log(JSON.stringify({ outcome: "failed", responseCode: detail }));
      return;
    }
    if (n <= retries) {
      await sleep(1000); // a later X-TIMESTAMP on the retry
    }
  }
  console.log(JSON.stringify({ outcome: "failed", responseCode: detail }));
}

main().catch((e) => {
  log("adapter error:", e && e.stack ? e.stack : e);
  process.exitCode = 1;
});
