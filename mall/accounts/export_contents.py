"""What a data export holds: everything Mall keeps about one account, decrypted for its owner.

``personal_data(user)`` gathers the account (profile, saved addresses, sign-in
events, sessions) and, shop by shop in that shop's own tenant context, every
order the account placed: lines, addresses, shipments, refunds, the numbers of
its invoices and credit notes, download grants with their log and the licence
keys issued; and the shops it only wrote to (``mall.accounts.export_shops``). Other
customers' data never enters: every query is keyed by this account's id or by the ids of
its own orders.

Other domains add what they hold about the person in a shop (the CRM's notes
and messages, say) with ``add_export_section`` in their ``init_app``: the
function gets the user and runs in each shop's context, once per shop the
customer ordered from or wrote to, and returns JSON-ready rows (``[]`` for none).

``to_zip`` writes ``data.json`` (all of it) and a CSV per list for spreadsheets; a platform
section named with ``add_account_file`` (the affiliate record) also gets its own JSON file,
which the README explains, when the person has one.
"""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from mall.accounts.export_shops import shops_of
from mall.accounts.models import DeviceSession, LoginEvent, OperatorMessage, SavedAddress, User
from mall.catalog.models import DigitalFile
from mall.csvsafe import writer as csv_writer
from mall.delivery.models import DownloadEvent, DownloadGrant, KeyStatus, LicenceKey
from mall.extensions import db
from mall.invoices.models import Invoice
from mall.orders.models import Order, OrderRefund, Shipment
from tenants.context import tenant_context
from tenants.keys import reveal
from tenants.models import Tenant

SECTIONS_KEY = "mall.privacy.export_sections"
ACCOUNT_SECTIONS_KEY = "mall.privacy.export_account_sections"
ACCOUNT_FILES_KEY = "mall.privacy.export_account_files"
ExportSection = Callable[[User], Any]


def add_export_section(app: Flask, name: str, func: ExportSection) -> None:
    """Add ``name`` to each shop's part of the export: ``func(user)`` in that shop's context."""
    app.extensions.setdefault(SECTIONS_KEY, {})[name] = func


def add_account_section(app: Flask, name: str, func: ExportSection) -> None:
    """Add ``name`` to the export's platform part: ``func(user)`` outside any shop's context
    (what the platform itself holds: the mall's newsletter subscription…)."""
    app.extensions.setdefault(ACCOUNT_SECTIONS_KEY, {})[name] = func


def add_account_file(app: Flask, name: str, description: str) -> None:
    """Give the platform section ``name`` its own file ``<name>.json`` in the ZIP, explained
    in the README by ``description`` (both only for a person whose section holds something)."""
    app.extensions.setdefault(ACCOUNT_FILES_KEY, {})[name] = description


def _sections() -> dict[str, ExportSection]:
    return dict(current_app.extensions.get(SECTIONS_KEY, {}))


def _account_sections(user: User) -> dict[str, Any]:
    found = current_app.extensions.get(ACCOUNT_SECTIONS_KEY, {})
    return {name: func(user) for name, func in found.items()}


def _messages_to_the_operator(user: User) -> list[dict[str, Any]]:
    rows = db.session.scalars(
        sa.select(OperatorMessage)
        .where(OperatorMessage.user_id == user.id)
        .order_by(OperatorMessage.created_at, OperatorMessage.id)
    )
    return [
        {
            "sent_at": _when(row.created_at),
            "subject": reveal(row, "subject"),
            "text": reveal(row, "body"),
            "handled_at": _when(row.handled_at),
        }
        for row in rows
    ]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _address(row: Any, name: str) -> dict[str, Any] | str | None:
    text = reveal(row, name)
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text  # "[erased]" / "[unreadable]"


def personal_data(user: User) -> dict[str, Any]:
    """Everything Mall holds about ``user``, decrypted, as JSON-ready data."""
    return {
        "account": {
            "id": str(user.id),
            "email": reveal(user, "email"),
            "name": reveal(user, "name"),
            "phone": reveal(user, "phone"),
            "email_confirmed_at": _when(user.email_verified_at),
            "created_at": _when(user.created_at),
            "last_sign_in_at": _when(user.last_login_at),
        },
        "saved_addresses": [
            _address(row, "address_json")
            for row in db.session.scalars(
                sa.select(SavedAddress)
                .where(SavedAddress.user_id == user.id)
                .order_by(SavedAddress.created_at)
            )
        ],
        "sign_ins": [
            {
                "at": _when(event.created_at),
                "succeeded": event.succeeded,
                "ip_address": reveal(event, "ip_address"),
            }
            for event in db.session.scalars(
                sa.select(LoginEvent)
                .where(LoginEvent.user_id == user.id)
                .order_by(LoginEvent.created_at)
            )
        ],
        "sessions": [
            {"started_at": _when(session.created_at), "expires_at": _when(session.expires_at)}
            for session in db.session.scalars(
                sa.select(DeviceSession)
                .where(DeviceSession.user_id == user.id)
                .order_by(DeviceSession.created_at)
            )
        ],
        "messages_to_the_operator": _messages_to_the_operator(user),
        **_account_sections(user),
        "shops": _shops(user),
    }


def _shops(user: User) -> list[dict[str, Any]]:
    shops = []
    for tenant_id in shops_of(user):
        shop = db.session.get(Tenant, tenant_id)
        with tenant_context(tenant_id):
            order_ids = list(
                db.session.scalars(
                    sa.select(Order.id)
                    .where(Order.user_id == user.id)
                    .order_by(Order.placed_at, Order.id)
                )
            )
            part: dict[str, Any] = {
                "shop": shop.name if shop else str(tenant_id),
                "orders": _orders(order_ids) if order_ids else [],
            }
            for name, section in _sections().items():
                part[name] = section(user)
        shops.append(part)
    return shops


def _orders(order_ids: list[UUID]) -> list[dict[str, Any]]:
    """The shop in context's orders with these ids, with everything hanging off them."""
    orders = db.session.scalars(
        sa.select(Order)
        .where(Order.id.in_(order_ids))
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at, Order.id)
    ).all()
    shipments = _grouped(
        sa.select(Shipment)
        .where(Shipment.order_id.in_(order_ids))
        .options(selectinload(Shipment.lines))
    )
    refunds = _grouped(sa.select(OrderRefund).where(OrderRefund.order_id.in_(order_ids)))
    invoices = _grouped(sa.select(Invoice).where(Invoice.order_id.in_(order_ids)))
    grants = _grouped(sa.select(DownloadGrant).where(DownloadGrant.order_id.in_(order_ids)))
    grant_ids = [grant.id for rows in grants.values() for grant in rows]
    events: dict[UUID, list[DownloadEvent]] = defaultdict(list)
    keys: dict[UUID, list[LicenceKey]] = defaultdict(list)
    files: dict[UUID, str] = {}
    if grant_ids:
        for event in db.session.scalars(
            sa.select(DownloadEvent)
            .where(DownloadEvent.grant_id.in_(grant_ids))
            .order_by(DownloadEvent.created_at)
        ):
            events[event.grant_id].append(event)
        for key in db.session.scalars(
            sa.select(LicenceKey).where(
                LicenceKey.grant_id.in_(grant_ids), LicenceKey.status != KeyStatus.AVAILABLE
            )
        ):
            keys[key.grant_id].append(key)
        file_ids = {event.file_id for rows in events.values() for event in rows}
        if file_ids:
            files = dict(
                db.session.execute(
                    sa.select(DigitalFile.id, DigitalFile.filename).where(
                        DigitalFile.id.in_(file_ids)
                    )
                ).all()
            )
    return [
        _order(
            order,
            shipments=shipments[order.id],
            refunds=refunds[order.id],
            invoices=invoices[order.id],
            grants=[
                _grant(grant, events[grant.id], keys[grant.id], files) for grant in grants[order.id]
            ],
        )
        for order in orders
    ]


def _grouped(statement: sa.Select) -> dict[UUID, list[Any]]:
    grouped: dict[UUID, list[Any]] = defaultdict(list)
    for row in db.session.scalars(statement):
        grouped[row.order_id].append(row)
    return grouped


def _order(
    order: Order,
    *,
    shipments: list[Shipment],
    refunds: list[OrderRefund],
    invoices: list[Invoice],
    grants: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "number": order.number,
        "placed_at": _when(order.placed_at),
        "status": order.status.value,
        "payment_status": order.payment_status.value,
        "payment_method": order.payment_method,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount": order.discount_shop + order.discount_platform,
        "shipping": order.shipping_amount,
        "tax": order.tax,
        "total": order.total,
        "refunded": order.refunded_amount,
        "email": reveal(order, "email"),
        "shipping_address": _address(order, "shipping_address_json"),
        "billing_address": _address(order, "billing_address_json"),
        "shipping_method": order.shipping_method_name,
        "lines": [
            {
                "title": line.title,
                "sku": line.sku,
                "options": line.options,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "tax": line.tax,
                "total": line.total,
                "quantity_shipped": line.quantity_shipped,
                "quantity_refunded": line.quantity_refunded,
            }
            for line in order.lines
        ],
        "shipments": [
            {
                "shipped_at": _when(shipment.shipped_at),
                "carrier": shipment.carrier,
                "tracking_number": shipment.tracking_number,
                "units": sum(line.quantity for line in shipment.lines),
            }
            for shipment in shipments
        ],
        "refunds": [
            {"at": _when(refund.created_at), "amount": refund.amount, "reason": refund.reason}
            for refund in refunds
        ],
        "invoices": [
            {"kind": invoice.kind.value, "number": invoice.number, "total": invoice.total}
            for invoice in invoices
        ],
        "downloads": grants,
    }


def _grant(
    grant: DownloadGrant,
    events: list[DownloadEvent],
    keys: list[LicenceKey],
    files: dict[UUID, str],
) -> dict[str, Any]:
    return {
        "status": grant.status.value,
        "expires_at": _when(grant.expires_at),
        "licence_keys": [_licence_key(key) for key in keys],
        "log": [
            {
                "at": _when(event.created_at),
                "file": files.get(event.file_id, str(event.file_id)),
                "ip_address": reveal(event, "ip_address"),
            }
            for event in events
        ],
    }


def _licence_key(key: LicenceKey) -> dict[str, Any]:
    """An issued key with its value; a withdrawn one (refunded) by its status only."""
    if key.status is KeyStatus.ISSUED:
        return {"status": "issued", "key": reveal(key, "key")}
    return {"status": "withdrawn", "key": None}


# ---------------------------------------------------------------- the file

README = """Your data from {mall}, exported on {when}.

data.json holds all of it. The CSV files hold the same lists for a spreadsheet:
orders.csv and order_lines.csv (amounts in minor units: cents), sign_ins.csv and
downloads.csv (the IP addresses we keep; they are deleted after a while).
"""


def to_zip(data: dict[str, Any], *, created_at: datetime) -> bytes:
    """The ZIP file the customer downloads: ``data.json``, CSV files and a README."""
    buffer = io.BytesIO()
    described = current_app.extensions.get(ACCOUNT_FILES_KEY, {})
    files = {name: text for name, text in described.items() if data.get(name)}  # the person's
    readme = README.format(mall=current_app.config["MALL_NAME"], when=created_at.isoformat())
    readme += "".join(f"\n{textwrap.fill(text, width=80)}\n" for text in files.values())
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("data.json", json.dumps(data, indent=2, ensure_ascii=False))
        for name in files:
            archive.writestr(f"{name}.json", json.dumps(data[name], indent=2, ensure_ascii=False))
        for name, header, rows in _tables(data):
            archive.writestr(name, _csv(header, rows))
    return buffer.getvalue()


def _tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    orders, lines, downloads = [], [], []
    for shop in data["shops"]:
        for order in shop["orders"]:
            orders.append(
                [
                    shop["shop"],
                    order["number"],
                    order["placed_at"],
                    order["status"],
                    order["currency"],
                    order["total"],
                    order["refunded"],
                ]
            )
            for line in order["lines"]:
                lines.append(
                    [
                        order["number"],
                        line["title"],
                        line["sku"],
                        line["quantity"],
                        line["unit_price"],
                        line["total"],
                    ]
                )
            for grant in order["downloads"]:
                for entry in grant["log"]:
                    downloads.append(
                        [order["number"], entry["file"], entry["at"], entry["ip_address"]]
                    )
    sign_ins = [[e["at"], e["succeeded"], e["ip_address"]] for e in data["sign_ins"]]
    return [
        (
            "orders.csv",
            ["shop", "number", "placed_at", "status", "currency", "total", "refunded"],
            orders,
        ),
        (
            "order_lines.csv",
            ["order", "title", "sku", "quantity", "unit_price", "total"],
            lines,
        ),
        ("sign_ins.csv", ["at", "succeeded", "ip_address"], sign_ins),
        ("downloads.csv", ["order", "file", "at", "ip_address"], downloads),
    ]


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    stream = io.StringIO()
    out = csv_writer(stream)
    out.writerow(header)
    for row in rows:
        out.writerow(["" if value is None else str(value) for value in row])
    return stream.getvalue()
