"""A small Stripe-compatible server for tests: Checkout Sessions and refunds, recorded.

It runs in a thread on 127.0.0.1 (random port) behind werkzeug and speaks just
enough of Stripe's v1 API for the real ``stripe`` library: create and retrieve
Checkout Sessions, create refunds. Every request is recorded with its form
parameters (flat, as Stripe's encoding sends them: ``line_items[0][quantity]``)
and its ``Idempotency-Key``; a POST with a key seen before returns the first
answer again, as Stripe does. ``sign(payload)`` signs an event the way Stripe
signs webhooks. Connect: transfers and their reversals, connected accounts (made by
``POST /v1/accounts`` as Express accounts still to onboard, or stored by ``account()``),
Account Links and the onboarding page they lead to (``/onboarding/<link>``: a tiny HTML
page whose "Submit" completes the account and goes to the link's ``return_url``; a used
link goes to its ``refresh_url``, as Stripe's do). ``failures`` makes a path answer an
error (not remembered under the idempotency key, as Stripe does not keep a failure that
never ran). (``localstripe`` covers payment intents but not Checkout
Sessions, and does not expose the requests it got: see the payments report.)
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from html import escape
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Received:
    method: str
    path: str
    params: dict[str, str]
    idempotency_key: str | None
    authorization: str | None


@dataclass
class StripeStub:
    requests: list[Received] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    disputes: dict[str, dict[str, Any]] = field(default_factory=dict)  # evidence received
    charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # with balance_transaction
    # Connect (payouts): transfers and their reversals, connected accounts, intents' charges.
    transfers: dict[str, dict[str, Any]] = field(default_factory=dict)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    intent_charges: dict[str, str] = field(default_factory=dict)  # payment intent -> charge
    refuse_reversals: bool = False  # the connected account's balance cannot cover a reversal
    links: dict[str, dict[str, Any]] = field(default_factory=dict)  # Account Links by id
    failures: dict[str, tuple[int, dict]] = field(default_factory=dict)  # path -> error reply
    _lock: Any = field(default_factory=threading.Lock)  # one request at a time, as one key
    replies: dict[str, tuple[int, dict]] = field(default_factory=dict)  # by idempotency key
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    base: str = ""

    # ---------------------------------------------------------------- server

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith("/onboarding/"):
            return self._onboarding(request)(environ, start_response)
        params = {key: value for key, value in request.form.items(multi=False)}
        params.update({key: value for key, value in request.args.items(multi=False)})
        key = request.headers.get("Idempotency-Key")
        with self._lock:
            self.requests.append(
                Received(
                    request.method, request.path, params, key, request.headers.get("Authorization")
                )
            )
            if request.path in self.failures:
                status, body = self.failures[request.path]
            elif request.method == "POST" and key and key in self.replies:
                status, body = self.replies[key]
            else:
                status, body = self.route(request.method, request.path, params)
                if request.method == "POST" and key:
                    self.replies[key] = (status, body)
        response = Response(json.dumps(body), status=status, mimetype="application/json")
        response.headers["Request-Id"] = f"req_{next(self._ids)}"
        return response(environ, start_response)

    def route(self, method: str, path: str, params: dict[str, str]) -> tuple[int, dict]:
        if method == "POST" and path == "/v1/checkout/sessions":
            return 200, self._create_session(params)
        if method == "GET" and path.startswith("/v1/checkout/sessions/"):
            session = self.sessions.get(path.rsplit("/", 1)[1])
            return (200, session) if session else self._missing("checkout.session")
        if method == "POST" and path == "/v1/refunds":
            return self._create_refund(params)
        connect = self._connect_route(method, path, params)
        if connect is not None:
            return connect
        money = self._money_route(method, path, params)
        if money is not None:
            return money
        return 404, {"error": {"type": "invalid_request_error", "message": f"no route {path}"}}

    def _missing(self, kind: str) -> tuple[int, dict]:
        return 404, {
            "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "message": f"No such {kind}",
            }
        }

    def _create_session(self, params: dict[str, str]) -> dict:
        n = next(self._ids)
        session_id = f"cs_test_{n:06d}"
        amount = 0
        for index in itertools.count():
            prefix = f"line_items[{index}]"
            if f"{prefix}[quantity]" not in params:
                break
            amount += int(params[f"{prefix}[quantity]"]) * int(
                params[f"{prefix}[price_data][unit_amount]"]
            )
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "amount_total": amount,
            "currency": params.get("line_items[0][price_data][currency]"),
            "client_reference_id": params.get("client_reference_id"),
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
            "expires_at": int(params.get("expires_at", 0)),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
        }
        self.sessions[session_id] = session
        return session

    def _create_refund(self, params: dict[str, str]) -> tuple[int, dict]:
        intent = params.get("payment_intent")
        if not any(s["payment_intent"] == intent for s in self.sessions.values()):
            return self._missing("payment_intent")
        refund_id = f"re_test_{next(self._ids):06d}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": int(params["amount"]),
            "payment_intent": intent,
            "status": "succeeded",
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
        }
        self.refunds[refund_id] = refund
        return 200, refund

    # ---------------------------------------------------------------- Connect (payouts)

    def _connect_route(self, method: str, path: str, params: dict[str, str]) -> Any:
        """Transfers, transfer reversals, accounts and payment intents; None: not one of these."""
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/transfers":
            return self._create_transfer(params)
        if (
            method == "POST"
            and len(parts) == 4
            and parts[1] == "transfers"
            and parts[3] == "reversals"
        ):
            return self._create_reversal(parts[2], params)
        if method == "POST" and path == "/v1/accounts":
            return 200, self._create_account(params)
        if method == "POST" and path == "/v1/account_links":
            return self._create_link(params)
        if method == "GET" and len(parts) == 3 and parts[1] == "accounts":
            account = self.accounts.get(parts[2])
            return (200, account) if account else self._missing("account")
        if method == "GET" and len(parts) == 3 and parts[1] == "payment_intents":
            return self._retrieve_intent(parts[2])
        return None

    def _error(self, code: str, message: str, status: int = 400) -> tuple[int, dict]:
        return status, {
            "error": {"type": "invalid_request_error", "code": code, "message": message}
        }

    def _create_transfer(self, params: dict[str, str]) -> tuple[int, dict]:
        destination = params.get("destination", "")
        account = self.accounts.get(destination)
        if account is None:
            return self._missing("account")
        if (account.get("capabilities") or {}).get("transfers") != "active":
            return self._error(
                "insufficient_capabilities_for_transfer",
                "The destination account needs the transfers capability enabled.",
            )
        transfer_id = f"tr_test_{next(self._ids):06d}"
        transfer = {
            "id": transfer_id,
            "object": "transfer",
            "amount": int(params["amount"]),
            "amount_reversed": 0,
            "currency": params.get("currency"),
            "destination": destination,
            "transfer_group": params.get("transfer_group"),
            "source_transaction": params.get("source_transaction"),
            "reversed": False,
            "reversals": {"object": "list", "data": []},
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
        }
        self.transfers[transfer_id] = transfer
        return 200, transfer

    def _create_reversal(self, transfer_id: str, params: dict[str, str]) -> tuple[int, dict]:
        transfer = self.transfers.get(transfer_id)
        if transfer is None:
            return self._missing("transfer")
        if self.refuse_reversals:
            return self._error(
                "balance_insufficient",
                "Insufficient funds in the connected account to reverse this transfer.",
            )
        amount = int(params.get("amount") or transfer["amount"] - transfer["amount_reversed"])
        if amount <= 0 or amount > transfer["amount"] - transfer["amount_reversed"]:
            return self._error("parameter_invalid_integer", "More than is left on the transfer.")
        reversal = {
            "id": f"trr_test_{next(self._ids):06d}",
            "object": "transfer_reversal",
            "amount": amount,
            "transfer": transfer_id,
            "metadata": {
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
        }
        transfer["amount_reversed"] += amount
        transfer["reversed"] = transfer["amount_reversed"] == transfer["amount"]
        transfer["reversals"]["data"].append(reversal)
        return 200, reversal

    def _retrieve_intent(self, intent: str) -> tuple[int, dict]:
        if not any(s["payment_intent"] == intent for s in self.sessions.values()):
            return self._missing("payment_intent")
        charge = self.intent_charges.setdefault(intent, f"ch_test_{next(self._ids):06d}")
        return 200, {
            "id": intent,
            "object": "payment_intent",
            "status": "succeeded",
            "latest_charge": charge,
        }

    def account(
        self,
        account_id: str,
        *,
        transfers: str = "active",
        currently_due: tuple[str, ...] = (),
        payouts_enabled: bool = True,
        disabled_reason: str | None = None,
    ) -> dict:
        """A connected account as Stripe returns it (stored: retrieving it returns this)."""
        account = {
            "id": account_id,
            "object": "account",
            "capabilities": {"transfers": transfers},
            "charges_enabled": False,
            "payouts_enabled": payouts_enabled,
            "details_submitted": True,
            "requirements": {
                "currently_due": list(currently_due),
                "disabled_reason": disabled_reason,
            },
        }
        self.accounts[account_id] = account
        return account

    def forget_connect(self) -> None:
        """Empty the Connect state (a test module's stub serves many tests)."""
        self.transfers.clear()
        self.accounts.clear()
        self.intent_charges.clear()
        self.refuse_reversals = False
        self.links.clear()
        self.failures.clear()

    # ---------------------------------------------------------------- Express onboarding

    def _create_account(self, params: dict[str, str]) -> dict:
        """An Express account that has not been onboarded: transfers inactive, details due."""
        account = self.account(
            f"acct_1Stub{next(self._ids):08d}",
            transfers="inactive",
            currently_due=("external_account", "tos_acceptance.date", "individual.first_name"),
            payouts_enabled=False,
        )
        account.update(
            type=params.get("type"),
            details_submitted=False,
            metadata={
                key[len("metadata[") : -1]: value
                for key, value in params.items()
                if key.startswith("metadata[")
            },
        )
        return account

    def _create_link(self, params: dict[str, str]) -> tuple[int, dict]:
        account_id = params.get("account", "")
        if account_id not in self.accounts:
            return self._missing("account")
        for name in ("refresh_url", "return_url", "type"):
            if not params.get(name):
                return self._error("parameter_missing", f"Missing required param: {name}.")
        link_id = f"link_{next(self._ids):06d}"
        link = {
            "object": "account_link",
            "created": int(time.time()),
            "expires_at": int(time.time()) + 300,
            "url": f"{self.base}/onboarding/{link_id}",
        }
        self.links[link_id] = {**params, "used": False}
        return 200, link

    def complete_onboarding(self, account_id: str) -> dict:
        """The person gave Stripe everything: details submitted, transfers active."""
        account = self.accounts[account_id]
        account.update(details_submitted=True, payouts_enabled=True)
        account["capabilities"]["transfers"] = "active"
        account["requirements"]["currently_due"] = []
        return account

    def _onboarding(self, request: Request) -> Response:
        """Stripe's hosted onboarding, in miniature: a link works once (then it sends the
        person to ``refresh_url``); "Submit" completes the account and returns to Mall."""
        parts = request.path.strip("/").split("/")
        link = self.links.get(parts[1]) if len(parts) > 1 else None
        if link is None:
            return Response("no such link", status=404)
        if len(parts) == 3 and parts[2] == "submit":
            self.complete_onboarding(link["account"])
            return Response(status=303, headers={"Location": link["return_url"]})
        if link["used"]:
            return Response(status=303, headers={"Location": link["refresh_url"]})
        link["used"] = True
        account = escape(link["account"])
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<link rel="icon" href="data:,"><title>Stripe onboarding (test)</title>'
            "</head><body><main>"
            f"<h1>Set up payouts for {account}</h1>"
            f'<p><a href="/onboarding/{escape(parts[1])}/submit">Submit your details</a></p>'
            f'<p><a href="{escape(link["return_url"])}">Return without finishing</a></p>'
            "</main></body></html>"
        )
        return Response(page, mimetype="text/html")

    def _money_route(self, method: str, path: str, params: dict[str, str]) -> tuple | None:
        """Disputes (evidence and submit) and charges with their balance transactions (fees)."""
        if method == "POST" and path.startswith("/v1/disputes/"):
            dispute_id = path.rsplit("/", 1)[1]
            evidence = {k: v for k, v in params.items() if k.startswith("evidence[")}
            dispute = {"id": dispute_id, "object": "dispute", "status": "under_review"}
            dispute.update(evidence=evidence, submitted=params.get("submit") == "true")
            self.disputes[dispute_id] = dispute
            return 200, dispute
        if method == "GET" and path.startswith("/v1/charges/"):
            charge = self._charge(path.rsplit("/", 1)[1])
            return (200, charge) if charge else self._missing("charge")
        return None

    def _charge(self, charge_id: str) -> dict | None:
        """A charge of a paid session (its intent's ``latest_charge``), with Stripe's fee."""
        if charge_id not in self.charges:
            intents = getattr(self, "intent_charges", {})
            intent = next((i for i, c in intents.items() if c == charge_id), None)
            session = next(
                (s for s in self.sessions.values() if s["payment_intent"] == intent), None
            )
            if intent is None or session is None:
                return None
            amount = session["amount_total"]
            self.charges[charge_id] = {
                "id": charge_id,
                "object": "charge",
                "amount": amount,
                "payment_intent": intent,
                "balance_transaction": {
                    "id": f"txn_{charge_id}",
                    "object": "balance_transaction",
                    "fee": self.fee_for(amount),
                },
            }
        return self.charges[charge_id]

    @staticmethod
    def fee_for(amount: int) -> int:
        """Stripe's card fee in the stub: 2.9 % + 30 (rounded half up)."""
        return (amount * 29 + 500) // 1000 + 30

    # ---------------------------------------------------------------- test helpers

    def pay(self, session_id: str, *, status: str = "paid") -> dict:
        """The customer paid on the hosted page: the session is complete (``paid`` by default)."""
        session = self.sessions[session_id]
        session.update(
            status="complete",
            payment_status=status,
            payment_intent=session["payment_intent"] or f"pi_test_{next(self._ids):06d}",
        )
        return session

    def posts(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.method == "POST" and r.path == path]

    @staticmethod
    def event(event_type: str, obj: dict, *, event_id: str | None = None) -> bytes:
        """An event payload as Stripe sends it."""
        return json.dumps(
            {
                "id": event_id or f"evt_{hashlib.sha1(json.dumps(obj).encode()).hexdigest()[:16]}",
                "object": "event",
                "api_version": "2024-06-20",
                "created": int(time.time()),
                "type": event_type,
                "livemode": False,
                "data": {"object": obj},
            }
        ).encode()

    @staticmethod
    def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
        """The ``Stripe-Signature`` header: ``t=…,v1=HMAC-SHA256(secret, "t.payload")``."""
        t = int(time.time()) if timestamp is None else timestamp
        mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
        return f"t={t},v1={mac}"


def start_stub() -> tuple[StripeStub, Any]:
    """A running stub and its server (call ``server.shutdown()`` when done)."""
    stub = StripeStub()
    server = make_server("127.0.0.1", 0, stub, threaded=True)
    stub.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return stub, server
