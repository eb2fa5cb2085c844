"""The purchasing tables of a shop: vendors, purchase orders and receipts, bills and payments.

Every table belongs to one shop (``TenantScoped``, row-level security by migration 0028).
A vendor's contact person, email, phone, address and notes are sealed under the shop's key.
"""

from vendors.models.bills import (
    BillPayment,
    BillPaymentAllocation,
    BillStatus,
    VendorBill,
    VendorBillLine,
    VendorCredit,
    VendorCreditLine,
)
from vendors.models.purchase_orders import (
    PurchaseCounter,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseStatus,
)
from vendors.models.vendors import (
    BillingPolicy,
    PurchasingSettings,
    Vendor,
    VendorProduct,
    VendorStatus,
)

__all__ = [
    "BillPayment",
    "BillPaymentAllocation",
    "BillStatus",
    "BillingPolicy",
    "PurchaseCounter",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseReceipt",
    "PurchaseReceiptLine",
    "PurchaseStatus",
    "PurchasingSettings",
    "Vendor",
    "VendorBill",
    "VendorBillLine",
    "VendorCredit",
    "VendorCreditLine",
    "VendorProduct",
    "VendorStatus",
]
